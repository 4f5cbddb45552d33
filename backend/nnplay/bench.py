"""`nnplay bench`: engine, stream and edit performance, each against a baseline measured in the same run.

Baselines: a naive trainer that makes one jitted call per SGD step (engine and stream epochs/s),
the same frame as plain JSON (bytes per frame), and compiling a fresh kernel per edit (edit latency).
Never asserts: it reports. Run `nnplay bench --output bench-results/latest.json`.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

from .bench_live import edit_figures, start_up_s, stream_figures
from .engine import runtime
from .families.mlp.exact import ACTIVATIONS
from .families.mlp.trainer import Trainer
from .features import all_features
from .inprocess import running_server
from .schemas import make_config
from .settings import FEATURE_NAMES

SPIRAL_6X8 = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8] * 6}
CASES = {"default circle [4,2]": {}, "spiral 6x8 all features": SPIRAL_6X8}


# ---- engine ----------------------------------------------------------------------------------


def naive_epochs_per_second(changes: dict[str, Any], seconds: float) -> float:
    """Baseline: one jitted SGD step per Python call, as a straightforward port would do."""
    trainer = Trainer(make_config(None, changes))
    cfg, split = trainer.config, trainer.plan.split
    x = all_features(split.train_x)[:, list(trainer.plan.exact_spec.features)]
    y = split.train_y
    act = ACTIVATIONS[cfg.activation]
    sizes = [x.shape[1], *cfg.hidden_layers, 1]
    key = jax.random.PRNGKey(0)
    layers = []
    for a, b in itertools.pairwise(sizes):
        key, sub = jax.random.split(key)
        layers.append((jax.random.uniform(sub, (a, b), minval=-0.5, maxval=0.5), jnp.full((b,), 0.1)))

    def loss(ls: Any, xb: jax.Array, yb: jax.Array) -> jax.Array:
        h = xb
        for w, b in ls[:-1]:
            h = act(h @ w + b)
        w, b = ls[-1]
        return jnp.mean(0.5 * (jnp.tanh(h @ w + b)[:, 0] - yb) ** 2)

    @jax.jit
    def step(ls: Any, xb: jax.Array, yb: jax.Array) -> Any:
        grads = jax.grad(loss)(ls, xb, yb)
        return jax.tree.map(lambda p, g: p - cfg.learning_rate * g, ls, grads)

    batches = [
        (jnp.asarray(x[i : i + cfg.batch_size]), jnp.asarray(y[i : i + cfg.batch_size]))
        for i in range(0, len(x), cfg.batch_size)
    ]
    for xb, yb in batches:  # compile every batch shape first
        layers = step(layers, xb, yb)
    epochs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for xb, yb in batches:
            layers = step(layers, xb, yb)
        epochs += 1
    jax.block_until_ready(layers)
    return epochs / (time.perf_counter() - started)


def kernel_epochs_per_second(changes: dict[str, Any], exact: bool, seconds: float) -> float:
    trainer = Trainer(make_config(None, changes))
    params = trainer.init_params()
    if exact:
        trainer.prepare_exact(params)
    params = trainer.train(params, 5).params
    epochs, started, chunk = 0, time.perf_counter(), 100
    while time.perf_counter() - started < seconds:
        outcome = trainer.train(params, chunk)
        params, epochs = outcome.params, epochs + outcome.epochs
    return epochs / (time.perf_counter() - started)


def recompile_baseline_ms() -> float:
    """What an edit costs a design that compiles a kernel for each new shape (tracing + compiling)."""
    trainer = Trainer(make_config(None, {"hidden_layers": [5, 3]}))
    params = trainer.init_params()
    trainer.prepare_exact(params)
    started = time.perf_counter()
    jax.clear_caches()
    trainer.train(params, 1)  # compiles the exact kernel of this net
    return 1000 * (time.perf_counter() - started)


# ---- report ----------------------------------------------------------------------------------


def main(quick: bool = False, output: str | None = None) -> int:
    runtime.enable_compilation_cache()
    seconds = 1.5 if quick else 4.0
    results: dict[str, Any] = {"device": runtime.device_info(), "quick": quick, "cases": {}}
    for name, changes in CASES.items():
        naive = naive_epochs_per_second(changes, seconds)
        padded = kernel_epochs_per_second(changes, exact=False, seconds=seconds)
        exact = kernel_epochs_per_second(changes, exact=True, seconds=seconds)
        results["cases"][name] = {
            "naive_epochs_per_s": naive,
            "padded_epochs_per_s": padded,
            "exact_epochs_per_s": exact,
        }
        _print_row(name, "engine", naive, padded, exact)
    with running_server() as base:
        for name, changes in CASES.items():
            stream = stream_figures(base, changes, seconds)
            results["cases"][name].update(stream)
            naive = results["cases"][name]["naive_epochs_per_s"]
            print(
                f"  {name}: client {stream['client_epochs_per_s']:,.0f} epochs/s "
                f"({stream['client_epochs_per_s'] / naive:.1f}x naive), "
                f"{stream['client_frames_per_s']:.1f} frames/s, {stream['frame_bytes'] / 1024:.1f} KB/frame "
                f"({stream['json_frame_bytes'] / stream['frame_bytes']:.0f}x smaller than JSON)"
            )
        edits = edit_figures(base, 15 if quick else 50)
    baseline = recompile_baseline_ms()
    edits["recompile_baseline_ms"] = baseline
    results["edits"] = edits
    print(
        f"  edits: configure->frame median {edits['edit_latency_ms_median']:.0f} ms, "
        f"p95 {edits['edit_latency_ms_p95']:.0f} ms (recompile-per-edit baseline {baseline:.0f} ms, "
        f"{baseline / edits['edit_latency_ms_median']:.0f}x slower); compiles during {edits['edits']} edits: "
        f"{edits['compiles_on_edit_path']} on the edit path, "
        f"{edits['compiles_background']} in background exact-kernel builds"
    )
    with tempfile.TemporaryDirectory() as cold_cache:
        cold = start_up_s(cold_cache)
        warm = start_up_s(cold_cache)
    results["cold_start_s"] = {"empty_cache": cold["first_frame"], "warm_cache": warm["first_frame"]}
    results["start_up_s"] = {"empty_cache": cold, "warm_cache": warm}
    for name, times in (("an empty compile cache", cold), ("a warm one", warm)):
        print(
            f"  start-up with {name}: answers in {times['answers']:.1f} s, first run created in "
            f"{times['run_created']:.1f} s, first training frame in {times['first_frame']:.1f} s"
        )
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(results, indent=2))
    return 0


def _print_row(name: str, what: str, naive: float, padded: float, exact: float) -> None:
    print(
        f"  {name}: {what} naive {naive:,.0f} epochs/s | padded {padded:,.0f} ({padded / naive:.1f}x) "
        f"| exact {exact:,.0f} ({exact / naive:.1f}x)",
        flush=True,
    )
