"""Train a sequence-lab network headless on the same kernels as the server (the CLI, benchmarks, tests)."""

from __future__ import annotations

import time
from typing import Any

from .config import make_seq_config
from .plan import SeqPlan

CHUNK_STEPS = 50


def run_sequence_training(changes: dict[str, Any], steps: int, target: float | None = None) -> dict[str, Any]:
    """Train `steps` steps of the config `changes` describes (stopping early once the test sequence
    accuracy reaches `target`, or the MSE falls below it for regression tasks); the final figures."""
    from ...engine.runtime import enable_compilation_cache

    enable_compilation_cache()
    plan = SeqPlan(make_seq_config(None, changes))
    state = plan.fresh_state()
    started = time.perf_counter()
    done = 0
    while done < steps:
        state = plan.train(state, min(CHUNK_STEPS, steps - done))
        done = int(state.step)
        if target is not None and _reached(plan, plan.evaluate(state), target):
            break
    frame = plan.evaluate(state)
    test, train = frame.out["test"], frame.out["train"]
    result: dict[str, Any] = {
        "lab": "sequences",
        "steps": done,
        "train_loss": frame.figure("train", "loss"),
        "test_loss": frame.figure("test", "loss"),
        "diverged": not frame.healthy,
        "seconds": round(time.perf_counter() - started, 3),
        "config": plan.config.public(),
    }
    if plan.task.regression:
        result["train_mse"] = frame.figure("train", "mse")
        result["test_mse"] = frame.figure("test", "mse")
    else:
        result["train_sequence_accuracy"] = frame.figure("train", "sequence_accuracy")
        result["test_sequence_accuracy"] = frame.figure("test", "sequence_accuracy")
        result["test_token_accuracy"] = frame.figure("test", "token_accuracy")
    del test, train
    return result


def _reached(plan: SeqPlan, frame: Any, target: float) -> bool:
    if plan.task.regression:
        mse = frame.figure("test", "mse")
        return mse is not None and mse < target
    accuracy = frame.test_accuracy
    return accuracy is not None and accuracy >= target
