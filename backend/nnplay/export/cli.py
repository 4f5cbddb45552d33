"""`nnplay export`: a saved run (or a config from the settings options) as a script, notebook or weights."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from . import FORMATS


def add_command(sub: Any, add_settings: Any) -> None:
    """The `export` subcommand on the CLI's subparsers (`add_settings`: the settings table's options)."""
    export = sub.add_parser(
        "export",
        help="write a run as a standalone script, a notebook or its weights (.npz)",
        description="Export a saved run (--run NAME), or a run of the settings given (trained for --epochs "
        "when its weights are asked for).",
    )
    export.add_argument("--format", choices=FORMATS, default="script")
    export.add_argument("--run", default=None, help="the name of a saved run (in NNPLAY_DATA_DIR)")
    export.add_argument("--data-dir", default=None, help="where saved runs are (default NNPLAY_DATA_DIR)")
    export.add_argument(
        "--epochs", type=int, default=500, help="without --run: epochs to train (default 500)"
    )
    export.add_argument("--output", "-o", default=None, help="the file to write (default: standard output)")
    add_settings(export)
    export.set_defaults(func=export_command)


def _view_of_saved(args: argparse.Namespace) -> Any:
    from ..config import ServerSettings
    from ..saved_runs.service import RunView
    from ..saved_runs.store import SqliteRunStore

    data_dir = Path(args.data_dir) if args.data_dir else ServerSettings().data_dir
    store = SqliteRunStore(data_dir)
    try:
        row = store.get(args.run)
    finally:
        store.close()
    if row is None:
        raise LookupError(f"no saved run named {args.run!r} in {data_dir}")
    return RunView(
        row.name, "saved", row.lab, row.config, row.epoch, row.history, row.figures, row.state, row.own_data
    )


def _view_of_settings(args: argparse.Namespace) -> Any:
    from ..experiments.parse import parse_value
    from ..saved_runs.service import RunView
    from ..schemas import make_config
    from ..settings import SETTINGS

    changes = {
        s.name: parse_value(s, getattr(args, s.name)) for s in SETTINGS if getattr(args, s.name) is not None
    }
    config = make_config(None, changes)
    if args.format != "npz":  # the script retrains it: nothing to train here
        return RunView("nnplay-run", "cli", "playground", config.public(), args.epochs, {}, {})
    from ..engine.snapshot import state_to_bytes
    from ..families.mlp.trainer import Trainer

    trainer = Trainer(config)
    state = trainer.init_params()
    trainer.prepare_exact(state)
    done = 0
    while done < args.epochs:
        outcome = trainer.train(state, args.epochs - done)
        state, done = outcome.params, done + outcome.epochs
        if outcome.diverged:
            break
    return RunView("nnplay-run", "cli", "playground", config.public(), done, {}, {}, state_to_bytes(state))


def export_command(args: argparse.Namespace) -> int:
    from ..schemas import ConfigError
    from .formats import export_run
    from .script import ExportError

    if args.epochs < 0:
        print("error: --epochs must be >= 0", file=sys.stderr)
        return 2
    try:
        view = _view_of_saved(args) if args.run else _view_of_settings(args)
        exported = export_run(view, args.format)
    except ConfigError as exc:
        print(f"error: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return 2
    except (ExportError, LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_bytes(exported.content)
        print(f"wrote {args.output} ({len(exported.content)} bytes)", file=sys.stderr)
    elif args.format == "npz" and sys.stdout.isatty():
        print("error: .npz is binary: give --output FILE", file=sys.stderr)
        return 2
    else:
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()
    return 0
