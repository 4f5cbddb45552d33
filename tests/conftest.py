"""Shared test setup: tests import the installed package `nnplay` from backend/."""
