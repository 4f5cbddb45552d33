"""`nnplay train --lab sequences ...`: the lab's options (one per setting of its table; the names the
playground shares, such as --learning-rate and --seed, are read by both) and its command. Importing this
module stays cheap (no jax): the CLI's parser is built for every command."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .config import SeqConfigError
from .settings import SETTINGS

DEFAULT_STEPS = 1000


def add_options(parser: argparse.ArgumentParser) -> None:
    """The lab's options that the playground's table does not already give."""
    known = {action.dest for action in parser._actions}
    for setting in SETTINGS:
        if setting.name in known:
            continue
        flag = "--" + setting.name.replace("_", "-")
        parser.add_argument(flag, dest=setting.name, default=None, help=f"sequences: {setting.help}")
    parser.add_argument(
        "--steps", type=int, default=None, help=f"sequences: training steps (default {DEFAULT_STEPS})"
    )
    parser.add_argument(
        "--compare",
        default=None,
        metavar="MODELS",
        help="sequences: also train these models side by side on the same batches (e.g. gru,lstm)",
    )
    parser.add_argument(
        "--until",
        type=float,
        default=None,
        help="sequences: stop once the test sequence accuracy reaches this (MSE below it)",
    )


def _parse(kind: str, text: str) -> Any:
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(text)
    return text


def train_command(args: argparse.Namespace) -> int:
    """`nnplay train --lab sequences ...`: prints one JSON object with --json."""
    changes: dict[str, Any] = {}
    for setting in SETTINGS:
        text = getattr(args, setting.name, None)
        if text is None:
            continue
        try:
            changes[setting.name] = _parse(setting.type, str(text))
        except ValueError:
            print(
                f"error: --{setting.name.replace('_', '-')}: {text!r} is not a valid {setting.type}",
                file=sys.stderr,
            )
            return 2
    if getattr(args, "compare", None):
        changes["compare"] = tuple(m.strip() for m in args.compare.split(",") if m.strip())
    steps = DEFAULT_STEPS if args.steps is None else args.steps
    if steps < 0:
        print("error: --steps must be >= 0", file=sys.stderr)
        return 2
    try:
        result = _run(changes, steps, args.until)
    except SeqConfigError as exc:
        print(f"error: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        for one in result.get("models", [result]):
            figure = one.get("test_sequence_accuracy", one.get("test_mse"))
            name = f"{one['model']} " if "models" in result else ""
            seconds = result["seconds"]
            print(f"{name}step {result['steps']}: test loss {one['test_loss']}, {figure} in {seconds} s")
    return 1 if result["diverged"] else 0


def _run(changes: dict[str, Any], steps: int, until: float | None) -> dict[str, Any]:
    from .headless import run_sequence_training

    return run_sequence_training(changes, steps, until)
