"""The image lab's family: a small CNN on scikit-learn's 8x8 digits, trained in minibatch steps.

Its units are minibatch steps (an epoch is n_train // batch_size of them); a new architecture, seed or
split starts a fresh network that goes on training (the lab's rule: the page shows it learning from
scratch); its own messages choose the digit the frames follow (`select_digit`), edit the stack
(`set_stack`) and ask for a drawn digit's prediction (`predict`, answered to its sender alone).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import msgpack
import numpy as np

from ... import protocol
from ...engine.seam import resolve
from ...models.cnn_stack import ACTIVATIONS, KINDS, LIMITS, MAX_DROPOUT, MAX_LAYERS, parameter_count
from ...sessions import commands
from ...sessions.family import NOT_MINE, Family, MinibatchSteps, Stamp
from .config import MLP_STACK, TABLE, ImageConfig, make_image_config
from .evaluate import make_predict
from .frames import encode_frame
from .messages import parse_message
from .plan import CnnFrame, Lab, architecture_summary, check_stack
from .settings import SETTINGS_BY_NAME

if TYPE_CHECKING:
    from ...sessions.fanout import Subscriber
    from ...sessions.session import Session


def lab_schema() -> dict[str, Any]:
    """What the page builds its controls from: kinds, limits, choices (one source of truth)."""
    from ...engine.optimizers import OPTIMIZERS, SCHEDULES

    return {
        "kinds": list(KINDS),
        "activations": list(ACTIVATIONS),
        "optimizers": list(OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "layer_limits": {**{k: list(v) for k, v in LIMITS.items()}, "rate": [0.0, MAX_DROPOUT]},
        "max_layers": MAX_LAYERS,
        "ranges": TABLE.page_ranges(),
        "mlp_stack": list(MLP_STACK),
        "settings": TABLE.public(),  # the one table: type, default, range, URL key, help of every setting
    }


TILE_SIDE = 20  # the side of a run's small picture (a sweep's multiples, a teacher's tile)


class CnnFamily(MinibatchSteps, Family):
    lab = "images"
    page = "/images.html"
    pause_on_fresh_run = False
    settings = SETTINGS_BY_NAME  # a sweep varies them (the layer stack is the config's own)

    @staticmethod
    def schema() -> dict[str, Any]:
        return lab_schema()

    def thumbnail(self, frame: bytes | None) -> tuple[bytes, int] | None:
        """The confusion matrix, each true class's row as shares (white none, blue all), on a square: a
        clean diagonal is a net that classifies well (a sweep's small multiples, the teacher's tiles)."""
        matrix = None if frame is None else msgpack.unpackb(frame).get("confusion_matrix")
        if not matrix:
            return None
        confusion = np.asarray(matrix, np.float64)
        shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
        cells = np.arange(TILE_SIDE) * len(confusion) // TILE_SIDE
        picture = 128 + 127 * shares[np.ix_(cells, cells)]
        return picture.astype(np.uint8).tobytes(), TILE_SIDE

    def make_config(self, base: Any, changes: dict[str, Any] | None) -> ImageConfig:
        return make_image_config(base, changes)

    def make_plan(self, config: ImageConfig, previous: Lab | None, custom: Any) -> Lab:
        return Lab(config, previous)

    def fresh_state(self, plan: Lab) -> Any:
        return plan.fresh_state()

    def fit_state(self, state: Any, plan: Lab) -> Any:
        return plan.adopt(resolve(state))

    def keeps_state(self, old: Lab, new: Lab) -> bool:
        """One kernel (layers, optimizer, batches): `adopt` keeps weights, moments, epoch and step."""
        return old.kernel_key == new.kernel_key

    def fresh_run_reason(self, old: ImageConfig, new: ImageConfig) -> str | None:
        return Lab.fresh_run_reason(old, new)

    # ---- progress: minibatch steps -------------------------------------------------------------------

    def step_units(self, session: Session, message: Any) -> int:
        """A step of N epochs trains to the end of the N-th epoch boundary from here."""
        return max(0, message.epochs * session.plan.steps_per_epoch - session.step_in_epoch)

    # ---- the wire ------------------------------------------------------------------------------------

    def parse(self, raw: str | bytes) -> Any:
        return parse_message(raw)

    def accept(self, session: Session, message: Any, sub: Subscriber | None) -> Any:
        kind = message.type
        if kind == "set_stack":
            return commands.configure(session, {"layers": message.layers}, False, sub)
        if kind == "select_digit":
            n_test = session.plan.n_test
            if message.index >= n_test:
                return protocol.error_message(
                    "invalid_message",
                    f"index must be between 0 and {n_test - 1} (a test digit), got {message.index}",
                    "index",
                )
            session.enqueue(commands.Command(commands.ShowView(message.index), sub))
            return None
        if kind == "predict":
            if sub is not None:
                self._predict(session, message.pixels, sub)
            return None
        return NOT_MINE

    @staticmethod
    def _predict(session: Session, pixels: list[Any], sub: Subscriber) -> None:
        """A drawn digit's prediction by the run's current weights, answered to `sub` when ready."""
        plan, state, epoch, progress = session.plan, session.params, session.epoch, session.progress
        layers = plan.layers
        done = session.engine.call(
            ("cnn.predict", layers),
            lambda: make_predict(layers),
            *plan.predict_args(state, np.asarray(pixels, np.float32)),
        )
        loop = asyncio.get_running_loop()

        def reply(future: Any) -> None:
            try:
                probabilities, saliency = future.result()
                message = protocol.json_message(
                    "prediction",
                    predicted=int(np.argmax(probabilities)),
                    probabilities=[round(float(p), 4) for p in probabilities],
                    saliency=[round(float(s), 5) for s in np.asarray(saliency).ravel()],
                    epoch=epoch,
                    progress=round(progress, 4),  # epochs trained, as frames count them
                )
            except Exception as exc:
                message = protocol.error_message("internal_error", f"the prediction failed: {exc}")
            loop.call_soon_threadsafe(sub.push_control, message)

        done.add_done_callback(reply)

    def encode_frame(self, frame: CnnFrame, stamp: Stamp) -> bytes:
        plan: Lab = stamp.plan
        return bytes(
            encode_frame(
                epoch=stamp.epoch,
                progress=stamp.progress,
                state=stamp.state,
                config_version=stamp.config_version,
                epochs_per_second=stamp.epochs_per_second,
                ev=frame.ev,
                params=frame.params,
                stack=plan.stack,
                test_x=plan.split.test_x,
                test_y=plan.split.test_y,
                digit=frame.digit,
            )
        )

    def hello(self, session: Session) -> dict[str, Any]:
        plan: Lab = session.plan
        return {
            **self.config_extras(plan),
            "n_train": len(plan.split.train_y),
            "n_test": plan.n_test,
            "digit": int(session.view or 0),
            "schema": lab_schema(),
        }

    @staticmethod
    def check_stack(layers: Any) -> dict[str, Any]:
        """The editor's live check of a stack (plan.check_stack)."""
        return check_stack(layers)

    def config_extras(self, plan: Lab) -> dict[str, Any]:
        stack = plan.config.stack()
        return {"architecture": architecture_summary(stack), "parameters": parameter_count(stack)}
