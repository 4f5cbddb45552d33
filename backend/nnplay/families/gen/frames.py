"""The generative lab's frames: the host's finish of a frame's summary (the GAN's figures) and the binary
messages (msgpack) its page reads. Points go as little-endian float32, pictures as uint8."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from ...protocol import finite_or_none
from .data import PlaneData
from .metrics import js_divergence, mode_figures, near_share


def f32_bytes(values: Any) -> bytes:
    return np.ascontiguousarray(np.asarray(values, np.float32)).astype("<f4").tobytes()


def unit_bytes(values: Any) -> bytes:
    """Values in [0, 1] -> uint8 0..255."""
    return np.clip(np.round(np.asarray(values) * 255), 0, 255).astype(np.uint8).tobytes()


def range_bytes(values: np.ndarray) -> tuple[bytes, float, float]:
    """Values -> (uint8 bytes from their min to their max, min, max)."""
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low
    q = np.zeros(values.shape) if span == 0 or not np.isfinite(span) else (values - low) / span * 255
    return np.clip(np.round(np.nan_to_num(q)), 0, 255).astype(np.uint8).tobytes(), low, high


@dataclass(frozen=True)
class GanFrame:
    samples: np.ndarray  # (SAMPLES, 2)
    field: np.ndarray  # (FIELD^2,) D(x) (a probability) or the critic's value, row by row from the top
    manifold: np.ndarray  # (MANIFOLD^2, 2)
    arrows: np.ndarray  # (ARROWS, 2): where the generator's loss pushes the first samples
    d_loss: float
    g_loss: float
    modes_covered: int | None  # None: the data set has no modes to count
    modes: int | None
    good_share: float
    divergence: float
    extent: float
    loss: str

    @property
    def healthy(self) -> bool:
        return bool(np.all(np.isfinite(self.samples)) and np.all(np.isfinite(self.field)))

    @property
    def train_loss(self) -> float:
        return self.g_loss

    @property
    def test_loss(self) -> float:
        return self.d_loss


def gan_frame_of(out: dict[str, Any], plane: PlaneData, loss: str) -> GanFrame:
    samples = np.asarray(out["samples"], np.float32)
    finite = samples[np.all(np.isfinite(samples), axis=1)]
    if plane.centres is not None:
        covered, good = mode_figures(finite, plane.centres, plane.sigma)
        modes: int | None = len(plane.centres)
    else:
        covered, modes, good = None, None, near_share(finite, plane.points)
    return GanFrame(
        samples=samples,
        field=np.asarray(out["field"], np.float32),
        manifold=np.asarray(out["manifold"], np.float32),
        arrows=np.asarray(out["arrows"], np.float32),
        d_loss=float(out["d_loss"]),
        g_loss=float(out["g_loss"]),
        modes_covered=covered,
        modes=modes,
        good_share=good,
        divergence=js_divergence(plane.points, finite, plane.extent) if len(plane.points) else float("nan"),
        extent=plane.extent,
        loss=loss,
    )


@dataclass(frozen=True)
class VaeFrame:
    latents: np.ndarray  # (n_test, 2): the test digits' codes (means)
    reconstruction: float  # nats per test digit
    kl: float | None  # None for the AE
    knn_accuracy: float
    grid: np.ndarray  # (LATENT_GRID^2, 64) in [0, 1]
    originals: np.ndarray
    reconstructions: np.ndarray
    loss: float  # the last update's training loss
    model: str

    @property
    def elbo(self) -> float | None:
        """The negative ELBO (nats per test digit); None for the AE (it has no KL term)."""
        return None if self.kl is None else self.reconstruction + self.kl

    @property
    def healthy(self) -> bool:
        return bool(np.isfinite(self.reconstruction) and np.all(np.isfinite(self.latents)))

    @property
    def train_loss(self) -> float:
        return self.loss

    @property
    def test_loss(self) -> float:
        return self.reconstruction if self.elbo is None else self.elbo


def vae_frame_of(out: dict[str, Any], model: str) -> VaeFrame:
    return VaeFrame(
        latents=np.asarray(out["latents"], np.float32),
        reconstruction=float(out["reconstruction"]),
        kl=float(out["kl"]) if model == "vae" else None,
        knn_accuracy=float(out["knn_accuracy"]),
        grid=np.asarray(out["grid"], np.float32),
        originals=np.asarray(out["originals"], np.float32),
        reconstructions=np.asarray(out["reconstructions"], np.float32),
        loss=float(out["loss"]),
        model=model,
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else finite_or_none(round(float(value), digits))


def frame_fields(frame: GanFrame | VaeFrame) -> dict[str, Any]:
    """A frame's figures and pictures, as the page (and the CLI) read them."""
    if isinstance(frame, GanFrame):
        field, low, high = range_bytes(frame.field)
        return {
            "model": "gan",
            "samples": f32_bytes(frame.samples),
            "field": {"data": field, "low": low, "high": high, "side": int(np.sqrt(frame.field.size))},
            "field_kind": "probability" if frame.loss == "nonsaturating" else "critic",
            "manifold": f32_bytes(frame.manifold),
            "arrows": f32_bytes(frame.arrows),
            "d_loss": _round(frame.d_loss),
            "g_loss": _round(frame.g_loss),
            "modes_covered": frame.modes_covered,
            "modes": frame.modes,
            "good_sample_share": _round(frame.good_share),
            "divergence": _round(frame.divergence),
            "extent": frame.extent,
        }
    return {
        "model": frame.model,
        "latents": f32_bytes(frame.latents),
        "reconstruction": _round(frame.reconstruction),
        "kl": _round(frame.kl),
        "elbo": _round(frame.elbo),
        "latent_knn_accuracy": _round(frame.knn_accuracy),
        "grid": unit_bytes(frame.grid),
        "originals": unit_bytes(frame.originals),
        "reconstructions": unit_bytes(frame.reconstructions),
        "train_loss": _round(frame.loss),
    }


def encode_frame(frame: GanFrame | VaeFrame, header: dict[str, Any]) -> bytes:
    return bytes(msgpack.packb({"type": "frame", **header, **frame_fields(frame)}))


def encode_data(points: np.ndarray | None, labels: np.ndarray | None, version: int, extent: float) -> bytes:
    """The data the page draws under the frames: the GAN's real points, or the test digits' labels."""
    message: dict[str, Any] = {"type": "data", "data_version": version, "extent": extent}
    if points is not None:
        message["points"] = f32_bytes(points)
    if labels is not None:
        message["labels"] = np.asarray(labels, np.uint8).tobytes()
    return bytes(msgpack.packb(message))


TILE_SIDE = 20


def tile_picture(frame: bytes | None) -> tuple[bytes, int] | None:
    """A frame's points (the GAN's samples, the codes of the test digits) as a density picture for a
    teacher's tile: uint8 TILE_SIDE x TILE_SIDE, row by row from the top, 128 empty to 255 the densest."""
    if frame is None:
        return None
    decoded = msgpack.unpackb(frame)
    raw = decoded.get("samples") if decoded.get("model") == "gan" else decoded.get("latents")
    if raw is None:
        return None
    points = np.frombuffer(raw, "<f4").reshape(-1, 2)
    extent = float(decoded.get("extent") or 4.0)
    edges = np.linspace(-extent, extent, TILE_SIDE + 1)
    counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=(edges, edges))
    counts = counts[::-1]  # the top row is the highest y
    scaled = 128 + 127 * counts / counts.max() if counts.max() > 0 else np.full(counts.shape, 128.0)
    return np.round(scaled).astype(np.uint8).tobytes(), TILE_SIDE
