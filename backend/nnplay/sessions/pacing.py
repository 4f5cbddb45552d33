"""The chunk clock: how many epochs the next chunk trains, and when a frame is due. No I/O, no jax."""

from __future__ import annotations

from dataclasses import dataclass, field

FRAME_BUDGET_S = 0.030  # a chunk plus its frame fill about one frame budget (~30 frames/s)
MAX_EPOCHS_PER_CHUNK = 5000
MAX_PACED_FPS = 60  # a chosen speed is watched frame by frame, at most this many frames/s
HIDDEN_FRAME_INTERVAL_S = 0.5  # viewers whose tab is hidden get a frame every half second
UNWATCHED_CHECK_INTERVAL_S = 0.25  # nobody watches: evaluate only as often as stop conditions need


@dataclass
class ChunkClock:
    """Measured seconds per epoch of each kernel for the current config, and per evaluation."""

    eval_s: float = 0.004
    sec_per_epoch: dict[str, float] = field(default_factory=dict)

    def forget(self) -> None:
        """Another config trains at another speed: measure again."""
        self.sec_per_epoch.clear()

    def epochs_for(self, kernel: str, with_frame: bool = True) -> int:
        """Epochs for the next chunk so that training (+ the frame's evaluation) fill one frame budget."""
        per_epoch = self.sec_per_epoch.get(kernel)
        if per_epoch is None:
            return 1  # probe: one epoch measures this config's speed at little cost
        budget = FRAME_BUDGET_S - (self.eval_s if with_frame else 0.0)
        budget = max(budget, FRAME_BUDGET_S / 4)
        return int(min(MAX_EPOCHS_PER_CHUNK, max(1, budget / per_epoch)))

    def learn(self, kernel: str, epochs: int, train_s: float, eval_s: float | None) -> None:
        if eval_s is not None:
            self.eval_s = 0.5 * self.eval_s + 0.5 * eval_s
        if epochs == 0:
            return
        sample = train_s / epochs
        old = self.sec_per_epoch.get(kernel)
        self.sec_per_epoch[kernel] = sample if old is None else 0.5 * old + 0.5 * sample


def frame_interval_s(viewers: int, any_visible: bool, needs_losses: bool) -> float | None:
    """Seconds between frames while training: every chunk for a visible viewer, a few per second for
    hidden tabs, and for nobody only as often as a loss-based stop condition needs (else never)."""
    if viewers and any_visible:
        return 0.0
    if viewers:
        return HIDDEN_FRAME_INTERVAL_S
    return UNWATCHED_CHECK_INTERVAL_S if needs_losses else None


def paced_epochs(epochs: int, speed: int) -> int:
    """A chosen speed (epochs per frame; 0 = as fast as possible) caps the chunk."""
    return min(epochs, speed) if speed else epochs
