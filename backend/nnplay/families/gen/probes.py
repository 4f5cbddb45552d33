"""The generative lab's probes of a run's current weights: `decode` (latent points -> digits) and `encode`
(a drawn digit -> its latent point), computed on the engine off the run loop and answered to their sender
alone (family.py accepts them).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import protocol
from ...engine.seam import resolve
from ..lab_messages import MAX_PIXEL
from .evaluate import make_decode, make_encode
from .plan import GenPlan

if TYPE_CHECKING:
    from ...sessions.fanout import Subscriber
    from ...sessions.session import Session


def answer_probe(session: Session, kind: str, message: Any, sub: Subscriber) -> None:
    """A decode or encode by the run's current weights, answered to `sub` when ready."""
    plan: GenPlan = session.plan
    state, epoch = resolve(session.params), session.epoch
    if kind == "decode":
        args = plan.decode_args(state, np.asarray(message.points, np.float32))
        done = session.engine.call(("gen.decode", plan.dec_shape), make_decode, *args)
    else:
        pixels = np.asarray(message.pixels, np.float32) / MAX_PIXEL
        done = session.engine.call(
            ("gen.encode", plan.e_shape), make_encode, *plan.encode_args(state, pixels)
        )
    loop = asyncio.get_running_loop()

    def reply(future: Any) -> None:
        try:
            result = np.asarray(future.result())
            if kind == "decode":
                images = np.clip(np.round(result * 255), 0, 255).astype(int)
                answer = protocol.json_message(
                    "decoded", points=message.points, images=images.tolist(), epoch=epoch
                )
            else:
                answer = protocol.json_message(
                    "encoded", point=[round(float(v), 4) for v in result[0]], epoch=epoch
                )
        except Exception as exc:
            answer = protocol.error_message("internal_error", f"the {kind} failed: {exc}")
        loop.call_soon_threadsafe(sub.push_control, answer)

    done.add_done_callback(reply)
