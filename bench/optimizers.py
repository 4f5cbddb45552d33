"""Epochs/s of the training kernels per optimizer: the default net and spiral 6x8, padded and exact.

    .venv/bin/python bench/optimizers.py [--optimizers sgd,adam] [--seconds 1.0] [--rounds 5] [--cpu-time]

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
from nnplay.engine.trainer import Trainer
from nnplay.schemas import make_config

CHUNK_EPOCHS = 100


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
    parser.add_argument("--optimizers", default="sgd,adam")
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
    print(f"{'case':26} {'optimizer':9} {'kernel':7} {'median':>9} {'best':>9}  {unit}")
    for name, changes in CASES.items():
        for optimizer in args.optimizers.split(","):
            extra = {} if optimizer == "sgd" else {"optimizer": optimizer}
            for exact in (False, True):
                rates = epochs_per_second(
                    {**changes, **extra}, exact, args.seconds, args.rounds, args.cpu_time
                )
                kernel = "exact" if exact else "padded"
                print(
                    f"{name:26} {optimizer:9} {kernel:7} {statistics.median(rates):9,.0f} {max(rates):9,.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
