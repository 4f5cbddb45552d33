"""Fixtures of the API tests: one real server for the session, a fresh session + client per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live import Client, create_session, open_client, serve


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    with serve() as base:
        yield base


@pytest.fixture
def session(base_url: str) -> Iterator[tuple[str, Client]]:
    session_id = create_session(base_url)
    with open_client(base_url, session_id) as client:
        yield session_id, client
