"""The image lab's binary frames (msgpack): numbers as floats, every picture as uint8.

Filters are quantized symmetrically per layer (128 is zero, `scale` the largest |weight|), so their
signs stay visible; feature maps per layer from their min to max; digits from 0 to 1. The misclassified
gallery holds at most GALLERY test digits, the most confident mistakes first (a confident mistake is the
one worth looking at).
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from ...protocol import finite_or_none
from .evaluate import Evaluation

GALLERY = 24


def quantize_signed(values: np.ndarray) -> tuple[bytes, float]:
    """float values -> (uint8 bytes with 128 as zero, the scale that 255 stands for)."""
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    q = np.full(values.shape, 128, np.uint8) if scale == 0 else np.round(127.5 + 127.5 * values / scale)
    return np.clip(q, 0, 255).astype(np.uint8).tobytes(), scale


def quantize_range(values: np.ndarray) -> tuple[bytes, float, float]:
    """float values -> (uint8 bytes from min to max, min, max)."""
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    span = high - low
    q = np.zeros(values.shape) if span == 0 else (values - low) / span * 255
    return np.clip(np.round(q), 0, 255).astype(np.uint8).tobytes(), low, high


def digit_bytes(images: np.ndarray) -> bytes:
    """Images in [0, 1] -> uint8 0..255."""
    return np.clip(np.round(np.asarray(images) * 255), 0, 255).astype(np.uint8).tobytes()


def conv_filters(params: dict[str, Any], stack: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Each conv layer's kernels as (out, in, k, k) uint8 images."""
    result = []
    for i, layer in enumerate(stack):
        if layer.kind != "conv":
            continue
        kernel = np.asarray(params[f"conv_{i}"]["kernel"])  # (k, k, in, out)
        data, scale = quantize_signed(kernel.transpose(3, 2, 0, 1))
        k, _, channels_in, filters = kernel.shape
        result.append(
            {
                "layer": i + 1,
                "filters": filters,
                "channels": channels_in,
                "size": k,
                "data": data,
                "scale": scale,
            }
        )
    return result


def feature_maps(maps: list[np.ndarray], stack: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The chosen digit's output of every layer: maps (h, w, c) as c images, flat ones as a row."""
    result = []
    for i, (layer, values) in enumerate(zip(stack, maps, strict=True)):
        arranged = values.transpose(2, 0, 1) if values.ndim == 3 else values  # (c, h, w) or (n,)
        data, low, high = quantize_range(arranged)
        result.append(
            {
                "layer": i + 1,
                "kind": layer.kind,
                "shape": list(values.shape),
                "data": data,
                "low": low,
                "high": high,
            }
        )
    return result


def gallery(ev: Evaluation, test_x: np.ndarray, test_y: np.ndarray) -> dict[str, Any]:
    """The misclassified test digits (the most confident mistakes first, at most GALLERY) and how many."""
    wrong = np.flatnonzero(ev.test_predictions != test_y)
    shown = wrong[np.argsort(-ev.test_confidence[wrong], kind="stable")][:GALLERY]
    return {
        "count": int(wrong.size),
        "indices": shown.astype(int).tolist(),
        "images": digit_bytes(test_x[shown, ..., 0]),
        "predicted": ev.test_predictions[shown].astype(int).tolist(),
        "true": test_y[shown].astype(int).tolist(),
        "confidence": [round(float(c), 3) for c in ev.test_confidence[shown]],
    }


def per_class_accuracy(confusion: np.ndarray) -> list[float | None]:
    totals = confusion.sum(axis=1)
    return [finite_or_none(confusion[c, c] / totals[c]) if totals[c] else None for c in range(len(totals))]


def encode_frame(
    *,
    epoch: int,
    progress: float,
    state: str,
    config_version: int,
    epochs_per_second: float,
    ev: Evaluation,
    params: dict[str, Any],
    stack: tuple[Any, ...],
    test_x: np.ndarray,
    test_y: np.ndarray,
    digit: int,
) -> bytes:
    """One image-lab frame as binary msgpack."""
    return msgpack.packb(
        {
            "type": "frame",
            "epoch": int(epoch),
            "progress": round(float(progress), 4),  # epochs, with the current one's share done
            "state": state,
            "config_version": config_version,
            "epochs_per_second": round(float(epochs_per_second), 2),
            "train_loss": finite_or_none(ev.train_loss),
            "test_loss": finite_or_none(ev.test_loss),
            "train_accuracy": finite_or_none(ev.train_accuracy),
            "test_accuracy": finite_or_none(ev.test_accuracy),
            "confusion_matrix": ev.confusion.astype(int).tolist(),
            "per_class_accuracy": per_class_accuracy(ev.confusion),
            "filters": conv_filters(params, stack),
            "digit": {
                "index": int(digit),
                "label": int(test_y[digit]),
                "image": digit_bytes(test_x[digit, ..., 0]),
                "probabilities": [round(float(p), 4) for p in ev.digit_probabilities],
            },
            "feature_maps": feature_maps(ev.digit_maps, stack),
            "misclassified": gallery(ev, test_x, test_y),
            "samples": digit_bytes(ev.samples),
        }
    )
