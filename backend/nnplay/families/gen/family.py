"""The generative lab's family: a GAN on the plane and an AE/VAE on 8x8 digits.

Units: a GAN trains in generator updates (each after its k discriminator updates), shown as steps; an
AE/VAE in minibatch updates (an epoch is n_train // batch of them). Switching between the GAN and the
autoencoders, or the seed, starts a fresh run (the run goes on, as in the image lab); every other change
keeps the weights. Its own messages: `set_points` (own points become the GAN's data), `half_step` (the
step-by-step mode's discriminator or generator half), `decode` (latent points -> digits) and `encode`
(a drawn digit -> its latent point), the last two answered to their sender alone (probes.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ... import protocol
from ...engine.seam import resolve
from ...sessions import commands
from ...sessions.commands import CommandFailed, ReplaceData
from ...sessions.family import NOT_MINE, Family, LabChallenge, MinibatchSteps, Stamp
from .config import TABLE, GenConfig, make_gen_config
from .evaluate import KNN, LATENT_EXTENT, LATENT_GRID
from .frames import GanFrame, VaeFrame, encode_data, encode_frame, frame_fields, tile_picture
from .lessons import lesson_catalog
from .messages import parse_message
from .plan import GenPlan
from .points import MAX_POINTS, PointsError, check_points
from .probes import answer_probe
from .settings import ACTIVATIONS, DATASETS, LOSSES, MAX_LAYERS, MAX_NEURONS, MODELS, SETTINGS_BY_NAME

if TYPE_CHECKING:
    from ...sessions.fanout import Subscriber
    from ...sessions.session import Session


def lab_schema() -> dict[str, Any]:
    """What the page builds its controls from (one source of truth: the settings table)."""
    return {
        "models": list(MODELS),
        "datasets": list(DATASETS),
        "losses": list(LOSSES),
        "activations": list(ACTIVATIONS),
        "max_layers": MAX_LAYERS,
        "max_neurons": MAX_NEURONS,
        "max_points": MAX_POINTS,
        "latent_extent": LATENT_EXTENT,
        "latent_grid": LATENT_GRID,
        "settings": TABLE.public(),
        "lessons": lesson_catalog(),
    }


def figures(frame: GanFrame | VaeFrame | None) -> dict[str, Any]:
    """A frame's figures without its pictures (summaries, the CLI)."""
    if frame is None:
        return {}
    return {k: v for k, v in frame_fields(frame).items() if not isinstance(v, bytes | dict)}


class GenFamily(MinibatchSteps, Family):
    lab = "generative"
    page = "/generative.html"
    pause_on_fresh_run = False

    @staticmethod
    def schema() -> dict[str, Any]:
        return lab_schema()

    def make_config(self, base: Any, changes: dict[str, Any] | None) -> GenConfig:
        return make_gen_config(base, changes)

    def make_plan(self, config: GenConfig, previous: GenPlan | None, custom: Any) -> GenPlan:
        own = None if custom is None else np.asarray(custom[0], np.float32).reshape(-1, 2)
        if previous is not None and previous.custom is not None and own is None:
            own = previous.custom
        return GenPlan(config, previous, own)

    def fresh_state(self, plan: GenPlan) -> Any:
        return plan.fresh_state()

    def fit_state(self, state: Any, plan: GenPlan) -> Any:
        return plan.adopt(resolve(state))

    def keeps_state(self, old: GenPlan, new: GenPlan) -> bool:
        return old.train_uses()[0].key == new.train_uses()[0].key  # it names the model and its shapes

    def fresh_run_reason(self, old: GenConfig, new: GenConfig) -> str | None:
        if old.is_gan != new.is_gan:
            return f"new model: the {new.model.upper()} starts from fresh weights"
        if old.seed != new.seed:
            return "new seed: new data and new weights"
        return None

    def data_of(self, plan: GenPlan) -> Any:
        return plan.plane if plan.is_gan else plan.digits

    def divergence_message(self, config: GenConfig, epoch: int) -> str:
        if config.model != "gan":
            return super().divergence_message(config, epoch)
        g, d = config.generator_lr, config.discriminator_lr
        return (
            f"training diverged at step {epoch + 1}: the generator's or the discriminator's weights became "
            f"NaN, infinite or explosively large. Their learning rates (generator {g:g}, discriminator "
            f"{d:g}) are too high for these nets; try ≤ {g / 10:g} and ≤ {d / 10:g}. Roll back to the last "
            "good weights, or lower the rates and press play to go on from here, or reset."
        )

    def untrainable(self, plan: GenPlan) -> str | None:
        if plan.is_gan and len(plan.plane.points) == 0:
            return "your own data set has no points yet: draw some on the plane or upload a CSV of x,y"
        return None

    # ---- progress ------------------------------------------------------------------------------------

    def step_units(self, session: Session, message: Any) -> int:
        return int(getattr(message, "units", 1))

    # ---- the wire ------------------------------------------------------------------------------------

    def parse(self, raw: str | bytes) -> Any:
        return parse_message(raw)

    def accept(self, session: Session, message: Any, sub: Subscriber | None) -> Any:
        kind = message.type
        plan: GenPlan = session.plan
        if kind == "set_points":
            try:
                check_points(np.asarray(message.points, np.float32).reshape(-1, 2))
            except PointsError as exc:
                return protocol.error_message("invalid_value", str(exc), "points")
            if not session.accepted_config.is_gan:
                return protocol.error_message(
                    "invalid_value", "own points are the GAN's data: pick the GAN first", "points"
                )
            points = np.asarray(message.points, np.float32).reshape(-1, 2)
            session.enqueue(commands.Command(ReplaceData((points,)), sub))
            return None
        if kind == "half_step":
            if not session.accepted_config.is_gan:
                return protocol.error_message("invalid_value", "the step-by-step mode is the GAN's", "phase")
            session.enqueue(commands.Command(message, sub))
            return None
        if kind in ("decode", "encode"):
            if plan.is_gan:
                return protocol.error_message(
                    "invalid_value", f"{kind} needs an AE or a VAE: pick one first", "model"
                )
            if sub is not None:
                answer_probe(session, kind, message, sub)
            return None
        return NOT_MINE

    async def apply(self, session: Session, action: Any) -> bool:
        if isinstance(action, ReplaceData):  # own points (drawn, uploaded, or a fork's): a tuple (points,)
            points = np.asarray(action.custom[0], np.float32).reshape(-1, 2)
            config = session.config
            if config.dataset != "custom":
                config = make_gen_config(config, {"dataset": "custom"})
            await session.adopt_config(config, keep_weights=True, custom=(points,))
            return True
        if getattr(action, "type", None) == "half_step":
            await self._half_step(session, action.phase)
            return True
        return False

    @staticmethod
    async def _half_step(session: Session, phase: str) -> None:
        plan: GenPlan = session.plan
        if not plan.is_gan:
            raise CommandFailed("invalid_value", "the step-by-step mode is the GAN's", "phase")
        if session.state in ("training", "compiling"):
            session.pause()
        if phase == "discriminator":
            if int(resolve(session.params).d_done):
                raise CommandFailed(
                    "invalid_value", "the discriminator has had its turn: now the generator's", "phase"
                )
            await session.edit_state(lambda plan, state: plan.discriminator_half(resolve(state)))
        else:
            await session.step(1)

    def encode_frame(self, frame: GanFrame | VaeFrame, stamp: Stamp) -> bytes:
        header = {
            "epoch": int(stamp.epoch),
            "progress": round(float(stamp.progress), 4),
            "state": stamp.state,
            "config_version": stamp.config_version,
            "epochs_per_second": round(float(stamp.epochs_per_second), 2),
            "updates": round(stamp.progress * stamp.plan.steps_per_epoch),
        }
        return encode_frame(frame, header)

    def encode_data(self, plan: GenPlan, version: int) -> bytes:
        if plan.is_gan:
            return encode_data(plan.plane.points, None, version, plan.plane.extent)
        return encode_data(None, plan.digits.test_y, version, LATENT_EXTENT)

    def hello(self, session: Session) -> dict[str, Any]:
        return {"schema": lab_schema(), **self.config_extras(session.plan)}

    def config_extras(self, plan: GenPlan) -> dict[str, Any]:
        return {"steps_per_epoch": plan.steps_per_epoch}

    def summary(self, session: Session) -> dict[str, Any]:
        return {"figures": figures(session.last_eval)}

    # ---- the classroom ----------------------------------------------------------------------------------

    def own_data(self, session: Session) -> Any:
        return session.custom if session.config.dataset == "custom" and session.config.is_gan else None

    # A GAN on the ring of 8: every mode covered and at least 80 % good samples (1 - share < 0.2).
    challenge = LabChallenge(
        dataset="ring",
        target=0.2,
        measure="share of bad samples with every mode covered",
        datasets=tuple(name for name in DATASETS if name != "custom"),
    )

    def challenge_value(self, session: Session) -> float | None:
        """A GAN's share of bad samples once it covers every mode (None before, and for an AE/VAE)."""
        frame = session.last_eval
        if not isinstance(frame, GanFrame) or frame.modes is None or frame.modes_covered != frame.modes:
            return None
        return 1.0 - float(frame.good_share)

    def size(self, config: GenConfig) -> int | None:
        """A challenge ranks runs by their hidden neurons (both nets of a GAN; the encoder's, mirrored)."""
        if config.is_gan:
            return sum(config.generator_layers) + sum(config.discriminator_layers)
        return 2 * sum(config.encoder_layers)

    def tile_figure(self, session: Session) -> str | None:
        """A GAN's modes and good samples, an AE/VAE's neighbours' accuracy and reconstruction (a GAN has
        no test loss: its discriminator's loss says little of how good the samples are)."""
        frame = session.last_eval
        if isinstance(frame, GanFrame):
            if frame.modes is not None:
                return f"modes {frame.modes_covered} of {frame.modes} · {frame.good_share:.0%} good samples"
            return f"{frame.good_share:.0%} of samples near the data"
        if isinstance(frame, VaeFrame):
            accuracy, nats = frame.knn_accuracy, frame.reconstruction
            return f"{KNN}-NN accuracy {accuracy:.0%} · reconstruction {nats:.1f} nats"
        return "no samples yet" if session.config.is_gan else "no codes yet"

    # ---- sweeps -----------------------------------------------------------------------------------------

    settings = SETTINGS_BY_NAME  # a sweep varies them; `stop_epoch` counts a GAN's steps, an AE's epochs

    def figures(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A GAN's distance to the data (Jensen-Shannon, bits), generator loss, share of good samples and
        of the modes covered; an AE's or VAE's loss on the test digits (-ELBO; the AE's reconstruction),
        training loss and the codes' 5-NN accuracy."""
        if frame.get("model") == "gan":
            modes, covered = frame.get("modes"), frame.get("modes_covered")
            return {
                "test_loss": frame.get("divergence"),
                "train_loss": frame.get("g_loss"),
                "test_accuracy": frame.get("good_sample_share"),
                "train_accuracy": covered / modes if modes and covered is not None else None,
            }
        test = frame.get("elbo") if frame.get("model") == "vae" else frame.get("reconstruction")
        return {
            "test_loss": test,
            "train_loss": frame.get("train_loss"),
            "test_accuracy": frame.get("latent_knn_accuracy"),
        }

    def figure_labels(self, config: GenConfig) -> dict[str, str]:
        if config.is_gan:
            return {
                "test_loss": "JS divergence to the data (bits)",
                "train_loss": "generator loss",
                "test_accuracy": "good samples",
                "train_accuracy": "modes covered",
            }
        return {
            "test_loss": "−ELBO on test digits (nats)" if config.model == "vae" else "reconstruction (nats)",
            "train_loss": "training loss",
            "test_accuracy": f"codes' {KNN}-NN accuracy",
        }

    def thumbnail(self, frame: bytes | None) -> tuple[bytes, int] | None:
        """Where the generated samples (GAN) or the test digits' codes (AE/VAE) lie: their density on a
        TILE_SIDE x TILE_SIDE grid of the plane, from white (128: none) to blue (255: the most)."""
        return tile_picture(frame)
