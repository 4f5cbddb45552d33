"""Experiments: sweeps of many settings at once.

`plan.py` expands a sweep's spec into its runs (grid or random; pure, no jax), `stats.py` summarises
their figures (mean ± std over seeds), `runs.py` follows one sweep's runs (sessions of the server's
SessionManager, trained together on its engine), `sweeps.py` is the server's set of sweeps (limits,
stop, open a run in the playground), `headless.py` runs a sweep without a server (`nnplay sweep`).
"""
