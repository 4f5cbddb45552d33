"""An independent numpy (float64) implementation of the TF-Playground net, for tests to compare with."""

from __future__ import annotations

import numpy as np

ACT = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}
FEATURE_FORMULAS = [
    lambda a, b: a,
    lambda a, b: b,
    lambda a, b: a * a,
    lambda a, b: b * b,
    lambda a, b: a * b,
    lambda a, b: np.sin(a),
    lambda a, b: np.sin(b),
]


def features(points: np.ndarray, selected: list[int]) -> np.ndarray:
    a, b = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return np.stack([FEATURE_FORMULAS[i](a, b) for i in selected], axis=1)


def exact_layers(params, selected: list[int], hidden: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut the exact-shape weights out of padded params (float64 copies)."""
    w, b = np.asarray(params.w, np.float64), np.asarray(params.b, np.float64)
    layers, rows = [], list(selected)
    for layer, n in enumerate(hidden):
        layers.append((w[layer][np.ix_(rows, range(n))], b[layer][:n]))
        rows = list(range(n))
    layers.append(
        (np.asarray(params.w_out, np.float64)[rows][:, :1], np.asarray(params.b_out, np.float64)[:1])
    )
    return layers


def forward(layers, x: np.ndarray, activation: str, output: str) -> np.ndarray:
    h = x
    for w, b in layers[:-1]:
        h = ACT[activation](h @ w + b)
    w, b = layers[-1]
    return ACT[output](h @ w + b)[:, 0]


def loss(layers, x, y, activation: str, output: str) -> float:
    return float(np.mean(0.5 * (forward(layers, x, activation, output) - y) ** 2))
