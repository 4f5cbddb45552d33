"""The sequence lab's binary frames (msgpack): figures as floats, every picture as uint8.

A frame shows one example sequence: its token strip (input, target, prediction, and which scored steps
are right), the hidden state as units x time, the gates over time (LSTM input/forget/output/cell, GRU
update/reset), ‖∂L/∂h_t‖ and ‖∂y/∂x_t‖ through time, and for the Transformer the attention of every
layer and head (softmax weights, and the raw scores) and the positional encodings' similarity. Only the
steps in use and the units in use are sent.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from ...protocol import finite_or_none
from .model import GATES
from .plan import SeqFrame, SeqPlan


def quantize_range(values: np.ndarray) -> dict[str, Any]:
    """float values -> uint8 bytes from min to max, with the shape and the range."""
    values = np.asarray(values, np.float32)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    span = high - low
    q = np.zeros(values.shape) if span == 0 else (values - low) / span * 255
    data = np.clip(np.round(q), 0, 255).astype(np.uint8).tobytes()
    return {"shape": list(values.shape), "data": data, "low": low, "high": high}


def _floats(values: Any, digits: int = 4) -> list[float | None]:
    return [finite_or_none(round(float(v), digits)) for v in np.asarray(values).ravel()]


def _figures(out: dict[str, Any]) -> dict[str, float | None]:
    return {k: finite_or_none(float(v)) for k, v in out.items()}


def frame_payload(frame: SeqFrame, plan: SeqPlan) -> dict[str, Any]:
    """The frame's numbers as plain data (the msgpack body, before the stamp)."""
    out, ex = frame.out, frame.out["example"]
    config = plan.config
    length = int(out["length"])
    used = 2 * length if plan.task.seq2seq and plan.recurrent else length
    width = config.width
    payload: dict[str, Any] = {
        "test": _figures(out["test"]),
        "train": _figures(out["train"]),
        "example": {
            "index": frame.index,
            "steps": used,
            "tokens": np.asarray(ex["tokens"][:used]).astype(int).tolist(),
            "target": np.asarray(ex["target"][:used]).astype(int).tolist(),
            "value": _floats(ex["value"][:used]),
            "weight": np.asarray(ex["weight"][:used]).astype(int).tolist(),
            "predicted": np.asarray(ex["predicted"][:used]).astype(int).tolist(),
            "predicted_value": _floats(ex["predicted_value"][:used]),
        },
        "hidden": quantize_range(np.asarray(ex["hidden"])[:used, :width].T),  # units x time
        "grad_through_time": _floats(ex["grad_through_time"][:used], 8),
        "connectivity": _floats(ex["connectivity"][:used], 8),
    }
    if plan.recurrent:
        gates = np.asarray(ex["gates"])[:used, :, :width]  # (T, G, W)
        payload["gates"] = [
            {"name": name, **quantize_range(gates[:, g, :].T)} for g, name in enumerate(GATES[config.model])
        ]
    else:
        attention = np.asarray(ex["attention"])[: config.layers, :, :used, :used]
        scores = np.asarray(ex["scores"])[: config.layers, :, :used, :used]
        payload["attention"] = quantize_range(np.clip(attention, 0.0, 1.0))
        payload["attention"]["low"], payload["attention"]["high"] = 0.0, 1.0
        payload["attention"]["data"] = np.clip(np.round(attention * 255), 0, 255).astype(np.uint8).tobytes()
        payload["scores"] = quantize_range(scores)
        payload["positional_similarity"] = quantize_range(
            np.asarray(out["positional_similarity"])[:used, :used]
        )
    return payload


def members_payload(frame: SeqFrame, plans: tuple[SeqPlan, ...]) -> list[dict[str, Any]]:
    """A side-by-side run's members, each as its model, figures and hidden state."""
    out = []
    for plan, member in zip(plans, frame.members, strict=True):
        payload = frame_payload(SeqFrame(member, frame.index), plan)
        out.append({"model": plan.config.model, **{k: payload[k] for k in ("test", "train", "hidden")}})
    return out


def encode_frame(stamp: Any, frame: SeqFrame) -> bytes:
    """One sequence-lab frame as binary msgpack (a side-by-side run's: its first member's views, and every
    member's figures and hidden state in `members`)."""
    group = stamp.plan
    plan: SeqPlan = getattr(group, "main", group)
    body = {
        "type": "frame",
        "epoch": int(stamp.epoch),
        "progress": round(float(stamp.progress), 4),
        "state": stamp.state,
        "config_version": stamp.config_version,
        "epochs_per_second": round(float(stamp.epochs_per_second), 2),
        "train_loss": finite_or_none(frame.train_loss),
        "test_loss": finite_or_none(frame.test_loss),
        **frame_payload(frame, plan),
    }
    if frame.members:
        body["members"] = members_payload(frame, group.members)
    return bytes(msgpack.packb(body))


TILE_SIDE = 20


def hidden_thumbnail(frame: dict[str, Any]) -> tuple[bytes, int]:
    """A frame's hidden state (units x time, uint8) sampled onto a TILE_SIDE square (nearest cell)."""
    units, steps = frame["hidden"]["shape"]
    picture = np.frombuffer(frame["hidden"]["data"], np.uint8).reshape(units, steps)
    rows = np.arange(TILE_SIDE) * units // TILE_SIDE
    cols = np.arange(TILE_SIDE) * steps // TILE_SIDE
    return picture[np.ix_(rows, cols)].tobytes(), TILE_SIDE
