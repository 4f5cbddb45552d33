#!/usr/bin/env bash
# The accelerator checks of issue 10, as one short script for a GPU machine (its own Python and JAX with
# CUDA; the missing server packages installed beforehand, e.g. into PYTHONPATH). Each step has its own
# time limit and a failing step does not stop the next; results land in $OUT (default bench-results/gpu).
#
#     OUT=/tmp/gpu PY=python3 bash bench/gpu.sh
#
# 1. the end-to-end classroom probe (bench/classroom.py): a real server, one websocket client per session;
# 2. the engine alone (bench/classroom_engine.py): sessions in one vmapped call per tick;
# 3. batched == alone and the framer's batched == lone tests (nnplay sets float32 products to full
#    precision: at JAX's default, TF32, they failed on an H200 by ~2e-5).
# bench/batch_call.py splits one call's time into host and kernel parts (not run here).
# It fits in about 7 minutes (the device lease is 15). Each classroom row reports what the engine did while
# it measured (compiles, frames batched or alone): on the H200 the server did not scale end to end yet.
set -u
OUT=${OUT:-bench-results/gpu}
PY=${PY:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/backend${PYTHONPATH:+:$PYTHONPATH}"
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # the server and the benchmark each hold only what they use
step() { echo; echo "=== $1 ($(date +%T))"; }
quiet() { grep -v "^WARNING"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
"$PY" -c "import jax, optax, flax; print('jax', jax.__version__, 'optax', optax.__version__, 'flax', flax.__version__, jax.devices())"

step "server: batched engine, 1 to 100 sessions (30 twice: the second row runs warm)"
timeout 240 "$PY" bench/classroom.py --engines batched --sessions 1,30,30,100 --seconds 15 \
    --output "$OUT/classroom.json" --server-log "$OUT/server" 2>&1 | quiet

step "engine: 30 to 300 sessions"
timeout 75 "$PY" bench/classroom_engine.py --sessions 30,100,300 --seconds 3 --baseline-max 0 \
    --output "$OUT/engine.json" 2>&1 | quiet

step "unit: batched == alone (500 epochs) and batched frames == lone frames, at full float32 precision"
timeout 90 "$PY" -m pytest tests/unit/test_framer.py tests/unit/test_batched.py -q -p no:cacheprovider \
    -o addopts="" -k "waiting_together or exact_evaluation_is or thirty_two" 2>&1 | tail -8
step "done"
