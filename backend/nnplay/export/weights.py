"""A run's weights as a .npz file (numpy only: read from the saved state's bytes, no jax).

A playground run gives each layer's exact-shape weights and biases (`layer1_weights` (inputs, neurons),
`layer1_biases`, ..., the output layer last) with the input features' names; any other lab gives every
leaf of its training state in order (`leaf_0`, `leaf_1`, ...). Both carry the config (JSON) and epoch.
"""

from __future__ import annotations

import io
import json
from typing import Any

import msgpack
import numpy as np

from ..settings import FEATURE_NAMES, MULTICLASS_DATASETS


def state_leaves(state: bytes) -> list[np.ndarray]:
    """The leaves of a training state as engine.snapshot.state_to_bytes wrote them."""
    content = msgpack.unpackb(state)
    return [
        np.frombuffer(leaf["data"], np.dtype(leaf["dtype"])).reshape(leaf["shape"])
        for leaf in content["leaves"]
    ]


def playground_layers(
    config: dict[str, Any], leaves: list[np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The exact net's (weights, biases) per layer, output last, out of the padded Params leaves."""
    w, b, w_out, b_out = leaves[:4]
    rows = np.asarray([FEATURE_NAMES.index(f) for f in config["features"]])
    layers = []
    for layer, n in enumerate(config["hidden_layers"]):
        layers.append((w[layer][rows][:, :n], b[layer][:n]))
        rows = np.arange(n)
    outputs = config["classes"] if config["dataset"] in MULTICLASS_DATASETS else 1
    layers.append((w_out[rows][:, :outputs], b_out[:outputs]))
    return layers


def npz_bytes(lab: str, config: dict[str, Any], epoch: int, state: bytes) -> bytes:
    leaves = state_leaves(state)
    arrays: dict[str, np.ndarray] = {"config": np.asarray(json.dumps(config)), "epoch": np.asarray(epoch)}
    if lab == "playground":
        for i, (weights, biases) in enumerate(playground_layers(config, leaves), start=1):
            arrays[f"layer{i}_weights"] = np.ascontiguousarray(weights, np.float32)
            arrays[f"layer{i}_biases"] = np.ascontiguousarray(biases, np.float32)
        arrays["features"] = np.asarray(list(config["features"]))
    else:
        arrays.update({f"leaf_{i}": leaf for i, leaf in enumerate(leaves)})
    out = io.BytesIO()
    np.savez(out, **arrays)  # type: ignore[arg-type]
    return out.getvalue()
