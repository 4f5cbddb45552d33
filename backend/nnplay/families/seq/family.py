"""The sequence lab's family: RNN, GRU, LSTM and a small Transformer on generated sequence tasks.

Its unit is a training step (one generated batch); the session's epoch counter counts steps. A new model
kind, seed or head count starts a fresh network that goes on training (the lab's rule, as the image
lab's); every other edit keeps the weights (a new bucket carries them over: plan.SeqPlan.adopt). Its own
messages choose the example the frames follow (`select_example`) and ask for a typed sequence's
prediction (`predict`, answered to its sender alone, with a clear error for a bad sequence).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import msgpack

from ... import protocol
from ...engine.seam import resolve, same_layout
from ...sessions import commands
from ...sessions.family import NOT_MINE, Family, Stamp
from .config import TABLE, SeqConfig, make_seq_config
from .evaluate import EXAMPLES, make_predict
from .frames import encode_frame, hidden_thumbnail
from .group import GroupPlan
from .messages import parse_message
from .model import GATES
from .names import MODELS, POSITIONAL, SYMBOLS, TASKS
from .plan import SeqFrame, SeqPlan
from .settings import MAX_SEQ2SEQ_LENGTH, MAX_TRANSFORMER_LENGTH, SETTINGS_BY_NAME
from .typed import TypedError, alphabet, answer_steps, expected_answer, parse_typed

if TYPE_CHECKING:
    from ...sessions.fanout import Subscriber
    from ...sessions.session import Session

LAB = "sequences"


def lab_schema() -> dict[str, Any]:
    """What the page builds its controls from (one source of truth: the settings table)."""
    return {
        "tasks": {
            name: {
                "label": t.label,
                "regression": t.regression,
                "seq2seq": t.seq2seq,
                "causal": t.causal,
                "fixed_vocab": t.fixed_vocab,
                "min_length": t.min_length,
            }
            for name, t in TASKS.items()
        },
        "models": list(MODELS),
        "positional": list(POSITIONAL),
        "gates": {k: list(v) for k, v in GATES.items()},
        "symbols": SYMBOLS,
        "max_seq2seq_length": MAX_SEQ2SEQ_LENGTH,
        "max_transformer_length": MAX_TRANSFORMER_LENGTH,
        "examples": EXAMPLES,
        "ranges": TABLE.page_ranges(),
        "settings": TABLE.public(),
    }


class SeqFamily(Family):
    lab = LAB
    page = "/sequences.html"
    pause_on_fresh_run = False

    @staticmethod
    def schema() -> dict[str, Any]:
        return lab_schema()

    def make_config(self, base: Any, changes: dict[str, Any] | None) -> SeqConfig:
        return make_seq_config(base, changes)

    def make_plan(self, config: SeqConfig, previous: Any, custom: Any) -> SeqPlan | GroupPlan:
        if config.compare:
            return GroupPlan(config, previous)
        return SeqPlan(config, previous if isinstance(previous, SeqPlan) else None)

    def cheap_plan(self, config: Any, previous: Any) -> bool:
        return True  # a plan is a few small arrays: the data is generated in the step

    def fresh_state(self, plan: SeqPlan | GroupPlan) -> Any:
        return plan.fresh_state()

    def fit_state(self, state: Any, plan: SeqPlan | GroupPlan) -> Any:
        value = resolve(state)
        fresh = plan.fresh_state()
        return value if same_layout(value, fresh) else plan.adopt(value, None)

    def keeps_state(self, old: SeqPlan | GroupPlan, new: SeqPlan | GroupPlan) -> bool:
        """The same kernels: the state's shapes are theirs, and fit_state returns it as it is."""
        if isinstance(old, GroupPlan) and isinstance(new, GroupPlan):
            return old.kernel_keys == new.kernel_keys
        return isinstance(old, SeqPlan) and isinstance(new, SeqPlan) and old.kernel_key == new.kernel_key

    def fresh_run_reason(self, old: SeqConfig, new: SeqConfig) -> str | None:
        return SeqPlan.fresh_run_reason(old, new)

    def step_units(self, session: Session, message: Any) -> int:
        return int(message.epochs)

    # ---- the wire ------------------------------------------------------------------------------------

    def parse(self, raw: str | bytes) -> Any:
        return parse_message(raw)

    def accept(self, session: Session, message: Any, sub: Subscriber | None) -> Any:
        kind = message.type
        if kind == "select_example":
            if message.index >= EXAMPLES:
                return protocol.error_message(
                    "invalid_message",
                    f"index must be between 0 and {EXAMPLES - 1}, got {message.index}",
                    "index",
                )
            session.enqueue(commands.Command(commands.ShowView(message.index), sub))
            return None
        if kind == "predict":
            try:
                tokens = parse_typed(session.accepted_config, message.sequence)
            except TypedError as exc:
                return protocol.error_message("invalid_sequence", exc.message, "sequence")
            if sub is not None:
                self._predict(session, message.sequence, tokens, sub)
            return None
        return NOT_MINE

    @staticmethod
    def _predict(session: Session, text: str, tokens: list[int], sub: Subscriber) -> None:
        """The run's current answer to a typed sequence, token by token, answered to `sub` when ready."""
        plan: SeqPlan = session.plan
        state, epoch = resolve(session.params), session.epoch
        if len(tokens) > plan.config.length:  # the config changed since the check
            sub.push_control(
                protocol.error_message("invalid_sequence", "too long for the current length", "sequence")
            )
            return
        net = plan.net
        done = session.engine.call(
            ("seq.predict", net), lambda: make_predict(net), *plan.predict_args(state, tokens)
        )
        loop = asyncio.get_running_loop()
        task = plan.task
        steps = answer_steps(task, len(tokens), plan.recurrent)
        expected = expected_answer(task, tokens)
        symbols = alphabet(task, plan.config.vocab)

        def reply(future: Any) -> None:
            try:
                out = future.result()
                predicted = [int(out["predicted"][s]) for s in steps]
                message = protocol.json_message(
                    "prediction",
                    sequence="".join(symbols[t] for t in tokens),
                    answer=[SYMBOLS[p] for p in predicted],
                    expected=[SYMBOLS[e] for e in expected],
                    correct=[p == e for p, e in zip(predicted, expected, strict=True)],
                    confidence=[round(float(out["confidence"][s]), 4) for s in steps],
                    epoch=epoch,
                )
            except Exception as exc:
                message = protocol.error_message("internal_error", f"the prediction failed: {exc}")
            loop.call_soon_threadsafe(sub.push_control, message)

        done.add_done_callback(reply)

    def encode_frame(self, frame: SeqFrame, stamp: Stamp) -> bytes:
        return encode_frame(stamp, frame)

    def hello(self, session: Session) -> dict[str, Any]:
        return {**self.config_extras(session.plan), "example": int(session.view or 0), "schema": lab_schema()}

    def config_extras(self, plan: SeqPlan) -> dict[str, Any]:
        return {
            "alphabet": alphabet(plan.task, plan.config.vocab),
            "bucket": {"steps": plan.net.steps, "width": plan.net.width, "layers": plan.net.layers},
        }

    settings = SETTINGS_BY_NAME  # a sweep varies them; `stop_epoch` is a step here

    def figure_labels(self, config: Any) -> dict[str, str]:
        return {
            "test_loss": "test loss",
            "train_loss": "training loss",
            "test_accuracy": "whole sequences right (test)",
            "train_accuracy": "whole sequences right (training)",
        }

    def figures(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The losses, and as accuracies the whole-sequence ones (a side-by-side run's: its first model's)."""
        test, train = frame.get("test") or {}, frame.get("train") or {}
        return {
            **frame,
            "test_accuracy": test.get("sequence_accuracy"),
            "train_accuracy": train.get("sequence_accuracy"),
        }

    def thumbnail(self, frame: bytes | None) -> tuple[bytes, int] | None:
        """The hidden state (units x time) stretched to a square, for the teacher's student tiles."""
        return None if frame is None else hidden_thumbnail(msgpack.unpackb(frame))

    def size(self, config: SeqConfig) -> int | None:
        """A challenge ranks runs by width x layers (smallest first)."""
        return int(config.width * config.layers)

    def summary(self, session: Session) -> dict[str, Any]:
        ev = session.last_eval
        if ev is None:
            return {}
        figures = _figures(ev)
        if ev.members:  # a side-by-side run: every member's figures, by model
            models = session.plan.config.models
            figures["side_by_side"] = [
                {"model": m, **_figures(SeqFrame(out, ev.index))}
                for m, out in zip(models, ev.members, strict=True)
            ]
        return figures


def _figures(frame: SeqFrame) -> dict[str, Any]:
    return {
        "test_sequence_accuracy": frame.figure("test", "sequence_accuracy"),
        "test_token_accuracy": frame.figure("test", "token_accuracy"),
        "test_mse": frame.figure("test", "mse"),
    }
