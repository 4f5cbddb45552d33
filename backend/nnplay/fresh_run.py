"""The one rule for a change of settings (README, "One rule for a change"): which changes start a fresh
run, and why."""

from __future__ import annotations

from typing import Any

# The one rule for a change of settings (README, "One rule for a change"). In reference mode (TF
# Playground's) a change of the data or of the network starts a fresh run (new weights from the seed,
# epoch 0, paused), named by its reason; a change of how the net trains (learning rate, batch size,
# regularization, optimizer, schedule, dropout, stopping, speed) keeps training the current weights.
# `keep_weights` (the page's "Keep the weights on changes", a teacher's "continue" push) keeps them
# for every change; extended mode keeps them too (new neurons start fresh). The sessions apply it
# (sessions/changes.py), /api/schema serves it and the page words its notices from it.
FRESH_RUN_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("problem",), "new problem type: the network starts over"),
    (("dataset", "noise", "train_ratio", "seed", "classes"), "new data: the network starts over on it"),
    (("hidden_layers",), "new network: the architecture changed"),
    (("features",), "new network: the input features changed"),
    (("activation", "layer_activations"), "new network: the activation changed"),
    (("batch_norm",), "new network: batch norm was switched"),
    (("loss",), "new network: the output and its loss changed"),
)
FRESH_RUN_MODES: tuple[str, ...] = ("reference",)


def fresh_run_reason(old: Any, new: Any) -> str | None:
    """Why changing config `old` into `new` starts a fresh run, or None when the weights are kept."""
    if new.mode not in FRESH_RUN_MODES:
        return None
    for names, reason in FRESH_RUN_RULES:
        if any(getattr(old, name) != getattr(new, name) for name in names):
            return reason
    return None
