"""Train a sequence-lab network headless on the same kernels as the server (the CLI, benchmarks, tests)."""

from __future__ import annotations

import time
from typing import Any

from .config import make_seq_config
from .group import GroupPlan
from .plan import SeqPlan

CHUNK_STEPS = 50


def run_sequence_training(changes: dict[str, Any], steps: int, target: float | None = None) -> dict[str, Any]:
    """Train `steps` steps of the config `changes` describes (stopping early once the test sequence
    accuracy reaches `target`, or the MSE falls below it for regression tasks); the final figures. A config
    that compares models trains them side by side in one call (group.py), on the same batches, until each
    reaches the target; then `models` holds each one's figures."""
    from ...engine.runtime import enable_compilation_cache

    enable_compilation_cache()
    config = make_seq_config(None, changes)
    group = GroupPlan(config) if config.compare else None
    members = group.members if group is not None else (SeqPlan(config),)
    states = group.fresh_state() if group is not None else (members[0].fresh_state(),)
    started = time.perf_counter()
    done = 0
    while done < steps:
        n = min(CHUNK_STEPS, steps - done)
        states = group.train(states, n) if group is not None else (members[0].train(states[0], n),)
        done = int(states[0].step)
        if target is not None and all(
            _reached(p, p.evaluate(s), target) for p, s in zip(members, states, strict=True)
        ):
            break
    figures = [_figures(p, p.evaluate(s)) for p, s in zip(members, states, strict=True)]
    result: dict[str, Any] = {
        "lab": "sequences",
        "steps": done,
        **({"models": figures} if group is not None else figures[0]),
        "diverged": any(f["diverged"] for f in figures),
        "seconds": round(time.perf_counter() - started, 3),
        "config": config.public(),
    }
    return result


def _figures(plan: SeqPlan, frame: Any) -> dict[str, Any]:
    """One model's final figures."""
    figures: dict[str, Any] = {
        "model": plan.config.model,
        "train_loss": frame.figure("train", "loss"),
        "test_loss": frame.figure("test", "loss"),
        "diverged": not frame.healthy,
    }
    if plan.task.regression:
        figures["train_mse"] = frame.figure("train", "mse")
        figures["test_mse"] = frame.figure("test", "mse")
    else:
        figures["train_sequence_accuracy"] = frame.figure("train", "sequence_accuracy")
        figures["test_sequence_accuracy"] = frame.figure("test", "sequence_accuracy")
        figures["test_token_accuracy"] = frame.figure("test", "token_accuracy")
    return figures


def _reached(plan: SeqPlan, frame: Any, target: float) -> bool:
    if plan.task.regression:
        mse = frame.figure("test", "mse")
        return mse is not None and mse < target
    accuracy = frame.test_accuracy
    return accuracy is not None and accuracy >= target
