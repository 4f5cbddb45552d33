"""Saved runs (a name, the run's state, history and figures) and comparisons of runs."""
