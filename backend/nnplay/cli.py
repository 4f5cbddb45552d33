"""`nnplay serve | train | bench | export`: the commands people run."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any

from .experiments.parse import parse_value
from .families.seq.cli import add_options as add_sequence_options
from .settings import SETTINGS


def _add_setting_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (the same table as the page)")
    for s in SETTINGS:
        hint = f"{s.help} Default: {s.default}."
        if s.type in ("features", "layers", "choice_list", "float_list"):
            hint += " Comma-separated" + (" (empty for none)." if s.type == "layers" else ".")
        group.add_argument(f"--{s.name.replace('_', '-')}", dest=s.name, metavar=s.type.upper(), help=hint)


def _exit_after_shutdown(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .config import WILDCARD_BINDS, ServerSettings
    from .serving import uvicorn_options

    overrides = {"host": args.host, "port": args.port}
    settings = ServerSettings(**{k: v for k, v in overrides.items() if v is not None})
    if args.classroom:
        from .classroom.serve import classroom_settings

        served = classroom_settings(settings, host_given=args.host is not None)
        if served is None:
            return 2
        settings = served
    loopback = settings.host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not settings.token and not args.classroom:  # a class is told what guards what
        print(
            f"warning: serving on {settings.host} without NNPLAY_TOKEN: anyone who can reach this port "
            "can create and drive sessions",
            file=sys.stderr,
        )
    if settings.host in WILDCARD_BINDS and not settings.allowed_hosts:
        print(
            f"note: bound to {settings.host!r}, the server answers only to localhost, 127.0.0.1, [::1] and "
            f"{settings.host}; list the names people use to reach it in NNPLAY_ALLOWED_HOSTS (JSON list)",
            file=sys.stderr,
        )
    print(f"nnplay: open http://{settings.host}:{settings.port}/", file=sys.stderr)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the default handler,
    # which would end the process "killed by SIGTERM" (-15): after a clean shutdown, exit 0 instead.
    signal.signal(signal.SIGTERM, _exit_after_shutdown)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        **uvicorn_options(settings, args.log_level),  # sizes, proxies, logs without ids (serving.py)
    )
    return 0


def run_training(changes: dict[str, Any], epochs: int) -> dict[str, Any]:
    """Train headless on the same engine as the server; returns the final metrics."""
    from .engine.runtime import enable_compilation_cache
    from .families.mlp.trainer import Trainer
    from .schemas import make_config

    enable_compilation_cache()
    config = make_config(None, changes)
    trainer = Trainer(config)
    params = trainer.init_params()
    started = time.perf_counter()
    trainer.prepare_exact(params)
    done, diverged, chunk = 0, False, 200
    while done < epochs and not diverged:
        outcome = trainer.train(params, min(chunk, epochs - done))
        params, diverged = outcome.params, outcome.diverged
        done += outcome.epochs
    seconds = time.perf_counter() - started
    ev = trainer.evaluate(params)
    test = (ev.metrics or {}).get("test", {})
    return {
        "epoch": done,
        "train_loss": ev.train_loss,
        "test_loss": ev.test_loss,
        "train_accuracy": ev.train_accuracy,
        "test_accuracy": ev.test_accuracy,
        # test-set metrics (classification); roc_auc is null where undefined (one class only)
        **{key: test.get(key) for key in ("precision", "recall", "f1", "roc_auc", "confusion_matrix")},
        "train_metrics": {k: v for k, v in (ev.metrics or {}).get("train", {}).items() if k != "classes"},
        "learning_rate": ev.learning_rate,
        "diverged": diverged or not ev.healthy,
        "seconds": round(seconds, 3),
        "config": config.public(),
    }


def _train_images(args: argparse.Namespace) -> int:
    from .families.cnn.config import ImageConfigError
    from .families.cnn.headless import run_image_training

    changes: dict[str, Any] = {}
    if args.seed is not None:
        try:
            changes["seed"] = int(args.seed)
        except ValueError:
            print(f"error: --seed: {args.seed!r} is not an integer", file=sys.stderr)
            return 2
    try:
        result = run_image_training(changes, 15 if args.epochs is None else args.epochs)
    except (ImageConfigError, ValueError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"epoch {result['epoch']}: test accuracy {result['test_accuracy']:.4f} in {result['seconds']} s"
        )
    return 0


def _train(args: argparse.Namespace) -> int:
    from .protocol import finite_or_none

    if args.lab == "images":
        return _train_images(args)
    if args.lab == "sequences":
        from .families.seq.cli import train_command as train_sequences

        return train_sequences(args)
    if args.lab == "generative":
        from .families.gen.cli import train_command as train_generative

        return train_generative(args)
    if args.epochs is None:
        args.epochs = 500
    from .schemas import ConfigError

    changes: dict[str, Any] = {}
    for s in SETTINGS:
        text = getattr(args, s.name)
        if text is None:
            continue
        try:
            changes[s.name] = parse_value(s, text)
        except ValueError:
            print(f"error: --{s.name.replace('_', '-')}: {text!r} is not a valid {s.type}", file=sys.stderr)
            return 2
    if args.epochs < 0:
        print("error: --epochs must be >= 0", file=sys.stderr)
        return 2
    try:
        result = run_training(changes, args.epochs)
    except ConfigError as exc:
        print(f"error: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return 2
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        result[key] = finite_or_none(result[key])
    if args.json:
        print(json.dumps(result))
    else:
        acc = result["test_accuracy"]
        print(
            f"epoch {result['epoch']}: train loss {result['train_loss']}, test loss {result['test_loss']}"
            + (f", test accuracy {acc:.3f}" if acc is not None else "")
            + (" (DIVERGED)" if result["diverged"] else "")
            + f" in {result['seconds']} s"
        )
    return 1 if result["diverged"] else 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    return bench_main(quick=args.quick, output=args.output)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnplay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the web app (default http://127.0.0.1:8000)")
    serve.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--classroom",
        action="store_true",
        help="serve the local network for a class: bind the LAN address, print the join URL and QR code",
    )
    serve.set_defaults(func=_serve)
    train = sub.add_parser("train", help="train headless on the same engine and print the result")
    train.add_argument("--epochs", type=int, default=None, help="default 500 (images: 15)")
    labs = ("playground", "images", "sequences", "generative")
    train.add_argument("--lab", choices=labs, default="playground")
    train.add_argument("--json", action="store_true", help="print one JSON object")
    _add_setting_options(train)
    add_sequence_options(train)
    from .families.gen.cli import add_options

    add_options(train)
    train.set_defaults(func=_train)
    from .experiments.cli import add_sweep_parser

    add_sweep_parser(sub, _add_setting_options)
    bench = sub.add_parser("bench", help="measure engine, stream and edit performance")
    bench.add_argument("--quick", action="store_true", help="shorter runs (for CI smoke checks)")
    bench.add_argument("--output", default=None, help="also write the results as JSON to this file")
    bench.set_defaults(func=_bench)
    from .export.cli import add_command as add_export_command

    add_export_command(sub, _add_setting_options)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
