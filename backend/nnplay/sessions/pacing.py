"""When a frame is due and how many units a chunk may train (the engine sizes chunks). No I/O, no jax."""

from __future__ import annotations

FRAME_BUDGET_S = 0.030  # a chunk plus its frame fill about one frame budget (~30 frames/s)
MAX_UNITS_PER_CHUNK = 5000
MAX_PACED_FPS = 60  # a chosen speed is watched frame by frame, at most this many frames/s
HIDDEN_FRAME_INTERVAL_S = 0.5  # viewers whose tab is hidden get a frame every half second
UNWATCHED_CHECK_INTERVAL_S = 0.25  # nobody watches: evaluate only as often as stop conditions need


def frame_interval_s(viewers: int, any_visible: bool, needs_losses: bool) -> float | None:
    """Seconds between frames while training: every chunk for a visible viewer, a few per second for
    hidden tabs, and for nobody only as often as a loss-based stop condition needs (else never)."""
    if viewers and any_visible:
        return 0.0
    if viewers:
        return HIDDEN_FRAME_INTERVAL_S
    return UNWATCHED_CHECK_INTERVAL_S if needs_losses else None


def paced_units(units: int, speed: int) -> int:
    """A chosen speed (units per frame; 0 = as fast as possible) caps the chunk."""
    return min(units, speed) if speed else units
