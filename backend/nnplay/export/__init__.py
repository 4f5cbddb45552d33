"""Exports of a run: a standalone script, a notebook, its weights, an offline HTML report."""

FORMATS = ("script", "notebook", "npz")  # what GET .../export?format= and `nnplay export` give
