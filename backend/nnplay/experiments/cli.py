"""`nnplay sweep`: every setting of `nnplay train` as a fixed value or a list of values to vary.

A comma list varies a setting (`--learning-rate 0.003,0.01,0.03`); settings whose value is itself a list
(features, hidden layers, per-layer lists) separate their alternatives with `/` (`--hidden-layers
8,8/8,8,8`); `low..high` is a range (random sweeps draw from it; whole numbers span a grid too).
`--seeds 1-8` trains every setting with each seed (parse.py reads all of these). `--lab sequences` sweeps
the sequence lab's runs (its settings: `--model rnn,gru,lstm --width 16,32`; `--epochs` counts steps),
`--lab images` the image lab's (`--optimizer adam,sgd --augment-shift true,false`; its layer stack stays
the lab's default), `--lab generative` the generative lab's, of one model (`--model gan --generator-lr
0.0003,0.001`; `--epochs` counts a GAN's steps, an autoencoder's epochs).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..families.cnn.settings import SETTINGS as IMAGE_SETTINGS
from ..families.gen.settings import SETTINGS as GEN_SETTINGS
from ..families.seq.settings import SETTINGS as SEQ_SETTINGS
from ..schemas import ConfigError
from ..settings import SETTINGS, Setting
from .parse import parse_seeds, parse_setting
from .plan import Axis, SweepSpec

TABLES: dict[str, tuple[Setting, ...]] = {
    "playground": SETTINGS,
    "sequences": SEQ_SETTINGS,
    "images": IMAGE_SETTINGS,
    "generative": GEN_SETTINGS,
}
OPTION_OF = {"samples": "random", "runs": ""}  # a refused field's option (most are the setting's own)


def add_sweep_parser(sub: Any, add_settings: Any) -> None:
    """The `sweep` subcommand, its own options and every setting of the table (`add_settings`)."""
    sweep = sub.add_parser(
        "sweep",
        help="train many settings at once on the batched engine and print every run's figures",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("--epochs", type=int, default=500, help="epochs every run trains (default 500)")
    sweep.add_argument("--seeds", default=None, help="seeds for every setting: 1-8, 1,2,5 (default 1)")
    sweep.add_argument("--random", type=int, default=0, metavar="N", help="draw N settings at random")
    sweep.add_argument("--sample-seed", type=int, default=0, help="the random draws' seed (default 0)")
    sweep.add_argument("--json", action="store_true", help="print one JSON object")
    labs = tuple(TABLES)
    sweep.add_argument("--lab", choices=labs, default="playground", help="sequences, GAN: --epochs are steps")
    add_settings(sweep)
    known = {action.dest for action in sweep._actions}
    for lab, table in TABLES.items():  # the other labs' settings that the playground's table lacks
        for setting in table:
            if setting.name not in known:
                known.add(setting.name)
                flag = "--" + setting.name.replace("_", "-")
                sweep.add_argument(flag, dest=setting.name, default=None, help=f"{lab}: {setting.help}")
    sweep.set_defaults(func=sweep_command)


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The sweep the options ask for (ValueError naming the option if one is unreadable)."""
    base: dict[str, Any] = {}
    axes: list[Axis] = []
    seeds: tuple[int, ...] = (1,)
    for setting in TABLES[args.lab]:
        text = getattr(args, setting.name, None)
        if text is None:
            continue
        if setting.name == "seed":
            seeds = parse_seeds(text)
            continue
        parsed = parse_setting(setting, text)
        if isinstance(parsed, Axis):
            axes.append(parsed)
        else:
            base[setting.name] = parsed
    if args.seeds is not None:
        seeds = parse_seeds(args.seeds)
    if args.random:
        return SweepSpec(
            tuple(axes), base, seeds, args.epochs, "random", args.random, args.sample_seed, args.lab
        )
    return SweepSpec(tuple(axes), base, seeds, args.epochs, lab=args.lab)


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def print_table(result: dict[str, Any]) -> None:
    varied, words = result["varied"], result["figures"]  # its figures, as its lab words them
    accuracy = words.get("test_accuracy")
    for run in result["runs"]:
        settings = " ".join(f"{name}={run['varied'][name]}" for name in varied)
        print(
            f"run {run['index']:3d}  {settings}  seed={run['seed']}  {result['unit']} {run['epoch']}  "
            f"{words['test_loss']} {_number(run['test_loss'])}"
            + (f"  {accuracy} {_number(run['test_accuracy'], 3)}" if accuracy else "")
            + (f"  ({run['state']})" if run["state"] != "done" else "")
        )
    for row in result["groups"]:
        loss = row["test_loss"]
        settings = " ".join(f"{name}={row['varied'][name]}" for name in varied) or "all runs"
        spread = "-" if loss["mean"] is None else f"{loss['mean']:.4g} ± {loss['std']:.2g}"
        print(f"{settings}: {words['test_loss']} {spread} over {loss['n']} seeds")
    print(f"{len(result['runs'])} runs in {result['wall_s']:.2f} s")


def sweep_command(args: argparse.Namespace) -> int:
    from .headless import run_sweep

    try:
        spec = spec_from_args(args)
        result = run_sweep(spec)
    except ValueError as exc:  # ConfigError is one
        message, where = getattr(exc, "message", str(exc)), ""
        if isinstance(exc, ConfigError):
            option = OPTION_OF.get(exc.field, exc.field)
            where = f"--{option.replace('_', '-')}: " if option else ""
        print(f"error: {where}{message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0
