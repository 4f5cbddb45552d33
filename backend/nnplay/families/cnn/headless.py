"""`nnplay train --lab images`: train an image-lab network headless on the same kernels as the server."""

from __future__ import annotations

import time
from typing import Any

from .config import make_image_config
from .plan import Lab

CHUNK_EPOCHS = 5


def run_image_training(changes: dict[str, Any], epochs: int) -> dict[str, Any]:
    """Train `epochs` epochs of the config `changes` describes; the final metrics as plain data."""
    from ...engine.runtime import enable_compilation_cache

    enable_compilation_cache()
    lab = Lab(make_image_config(None, changes))
    state = lab.fresh_state()
    started = time.perf_counter()
    done = 0
    while done < epochs:
        state = lab.train(state, min(CHUNK_EPOCHS, epochs - done))
        done = int(state.epoch)
    ev = lab.evaluate(state, 0)
    return {
        "lab": "images",
        "epoch": done,
        "train_loss": ev.train_loss,
        "test_loss": ev.test_loss,
        "train_accuracy": ev.train_accuracy,
        "test_accuracy": ev.test_accuracy,
        "confusion_matrix": ev.confusion.astype(int).tolist(),
        "architecture": lab.summary(),
        "parameters": sum(layer["params"] for layer in lab.summary()),
        "seconds": round(time.perf_counter() - started, 3),
        "config": lab.config.public(),
    }
