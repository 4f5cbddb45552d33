"""`nnplay train --lab generative`: train a GAN or an AE/VAE headless on the same kernels as the server,
and print its final figures (modes_covered, good_sample_share for a GAN; elbo, reconstruction, kl,
latent_knn_accuracy for an AE/VAE)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .config import GenConfigError, make_gen_config
from .settings import SETTINGS

DEFAULT_GAN_STEPS = 8000
DEFAULT_EPOCHS = 150
CHUNK = 500


def add_options(parser: argparse.ArgumentParser) -> None:
    """The generative lab's settings the shared `train` parser lacks (the others share their option)."""
    taken = {action.dest for action in parser._actions}
    group = parser.add_argument_group("generative lab (--lab generative)")
    for s in SETTINGS:
        if s.name not in taken:
            group.add_argument(
                f"--{s.name.replace('_', '-')}", dest=s.name, metavar=s.type.upper(), help=s.help
            )
    if "steps" not in taken:
        group.add_argument(
            "--steps", type=int, default=None, help=f"GAN: generator updates (default {DEFAULT_GAN_STEPS})"
        )


def _value(kind: str, text: str) -> Any:
    if kind == "layers":
        return [int(part) for part in text.split(",") if part.strip()]
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text


def changes_of(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for s in SETTINGS:
        text = getattr(args, s.name, None)
        if text is not None:
            try:
                changes[s.name] = _value(s.type, str(text))
            except ValueError:
                raise GenConfigError(s.name, f"{text!r} is not a valid {s.type}") from None
    return changes


def run_generative_training(changes: dict[str, Any], units: int | None = None) -> dict[str, Any]:
    """Train the config `changes` describes (GAN: `units` generator updates; AE/VAE: `units` epochs)."""
    from ...engine.runtime import enable_compilation_cache
    from .family import figures
    from .plan import GenPlan  # its nets and kernels: not for `nnplay serve`, which builds this parser

    enable_compilation_cache()
    plan = GenPlan(make_gen_config(None, changes))
    total = (DEFAULT_GAN_STEPS if plan.is_gan else DEFAULT_EPOCHS) if units is None else units
    updates = total if plan.is_gan else total * plan.steps_per_epoch
    state = plan.fresh_state()
    compiling = time.perf_counter()
    plan.train(state, 0)  # compile first: `seconds` is training time, as after Play on a warm server
    plan.evaluate(state)
    started = time.perf_counter()
    done = 0
    while done < updates:
        state = plan.train(state, min(CHUNK, updates - done))
        done += min(CHUNK, updates - done)
    frame = plan.evaluate(state)
    return {
        "lab": "generative",
        "model": plan.config.model,
        "updates": int(state.step),
        **({"epochs": total} if not plan.is_gan else {}),
        **figures(frame),
        "seconds": round(time.perf_counter() - started, 3),
        "compile_seconds": round(started - compiling, 3),
        "config": plan.config.public(),
    }


def train_command(args: argparse.Namespace) -> int:
    try:
        changes = changes_of(args)
        units = args.steps if changes.get("model", "gan") == "gan" else args.epochs
        if units is not None and units < 0:
            print("error: --steps/--epochs must be >= 0", file=sys.stderr)
            return 2
        result = run_generative_training(changes, units)
    except GenConfigError as exc:
        print(f"error: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    elif result["model"] == "gan":
        print(
            f"{result['updates']} steps: {result['modes_covered']}/{result['modes']} modes, "
            f"{result['good_sample_share']:.3f} good samples in {result['seconds']} s"
        )
    else:
        print(
            f"{result['epochs']} epochs: reconstruction {result['reconstruction']}, KL {result['kl']}, "
            f"latent 5-NN accuracy {result['latent_knn_accuracy']} in {result['seconds']} s"
        )
    return 0
