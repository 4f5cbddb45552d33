"""The cost of each training-toolbox feature: epochs/s of the padded and exact kernels with it, as a
ratio to plain SGD measured in the same run, on the default net and on spiral 6x8 (all features).

    .venv/bin/python bench/toolbox.py [--variants sgd,adam,dropout,batch_norm] [--seconds 1.0] [--rounds 5]

Each figure is the median (and best) of several rounds, so that a busy machine skews it less. It reports;
it never asserts.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from nnplay.bench import CASES
from nnplay.engine import runtime
from nnplay.families.mlp.trainer import Trainer
from nnplay.schemas import make_config

CHUNK_EPOCHS = 100
# Each variant is laid over each case; "sgd" (TF Playground's update, no extras) is the baseline.
VARIANTS: dict[str, dict[str, Any]] = {
    "sgd": {},
    "adam": {"optimizer": "adam"},
    "dropout": {"dropout": 0.2},
    "batch_norm": {"batch_norm": "on"},
    "cross_entropy": {"loss": "cross_entropy"},
    "gelu": {"activation": "gelu"},
    "softmax 5 classes": {"dataset": "blobs", "loss": "cross_entropy", "classes": 5},
}


def epochs_per_second(
    changes: dict[str, Any], exact: bool, seconds: float, rounds: int, cpu_time: bool = False
) -> list[float]:
    trainer = Trainer(make_config(None, changes))
    state = trainer.init_params()
    if exact:
        trainer.prepare_exact(state)
    outcome = trainer.train(state, 5)
    assert outcome.kernel == ("exact" if exact else "padded")
    state = outcome.params
    rates = []
    for _ in range(rounds):
        epochs, started, cpu_started = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            outcome = trainer.train(state, CHUNK_EPOCHS)
            state, epochs = outcome.params, epochs + outcome.epochs
        elapsed = time.process_time() - cpu_started if cpu_time else time.perf_counter() - started
        rates.append(epochs / elapsed)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="comma-separated, of: " + ", ".join(VARIANTS)
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="epochs per CPU second of this process (steadier on a busy host)",
    )
    args = parser.parse_args()
    runtime.enable_compilation_cache()
    unit = "epochs per CPU second" if args.cpu_time else "epochs/s"
    print(f"{'case':26} {'variant':18} {'kernel':7} {'median':>9} {'best':>9} {'vs sgd':>7}  ({unit})")
    variants = ["sgd", *[v for v in args.variants.split(",") if v != "sgd"]]
    for name, changes in CASES.items():
        baseline: dict[bool, float] = {}
        for variant in variants:
            for exact in (False, True):
                rates = epochs_per_second(
                    {**changes, **VARIANTS[variant]}, exact, args.seconds, args.rounds, args.cpu_time
                )
                median = statistics.median(rates)
                baseline.setdefault(exact, median)
                kernel = "exact" if exact else "padded"
                print(
                    f"{name:26} {variant:18} {kernel:7} {median:9,.0f} {max(rates):9,.0f} "
                    f"{median / baseline[exact]:6.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
