#!/usr/bin/env bash
# The accelerator checks of issue 19, as one short script for a GPU machine (its own Python and JAX with
# CUDA; the missing server packages installed beforehand, e.g. into PYTHONPATH). Each step has its own
# time limit and a failing step does not stop the next; results land in $OUT (default bench-results/gpu).
#
#     OUT=/tmp/gpu PY=python3 bash bench/gpu.sh
#
# 1. a batched call's fixed part at 32, 128 and 512 slots (bench/batch_call.py: resident states, one
#    transfer each way), the "512 <= 2x 32";
# 2. the engine alone (bench/classroom_engine.py): 30 to 300 sessions in one call per shard and tick;
# 3. the end-to-end classroom probe (bench/classroom.py): a real server, one websocket client per session
#    reporting the page's default view, 1, 30 and 300 sessions at an accelerator's default frame budget
#    (3,000/s, not measured before: engine/call_timing.py); then 30 at the CPU's 1,200/s, to compare;
# 4. resident shards == lone runs and batched frames == lone frames (nnplay sets float32 products to full
#    precision: at JAX's default, TF32, they differed on an H200 by ~2e-5).
# It fits in about 9 minutes (the device lease is 15).
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

step "a batched call's fixed part by slots (0 epochs), and its time per epoch"
(cd bench && timeout 90 "$PY" batch_call.py --sessions 32,128,512 --epochs 0,1,10 2>&1 | quiet)

step "engine: 30 to 300 sessions"
timeout 75 "$PY" bench/classroom_engine.py --sessions 30,100,300 --seconds 3 --baseline-max 0 \
    --output "$OUT/engine.json" 2>&1 | quiet

step "server: batched engine, 1, 30 and 300 sessions (the page's default view)"
timeout 270 "$PY" bench/classroom.py --engines batched --sessions 1,30,300 --seconds 12 \
    --output "$OUT/classroom.json" --server-log "$OUT/server" 2>&1 | quiet

step "server: 30 sessions at the CPU's frame budget (1,200/s)"
NNPLAY_FRAMES_PER_SECOND=1200 timeout 60 "$PY" bench/classroom.py --engines batched --sessions 30 \
    --seconds 8 --output "$OUT/classroom-1200.json" 2>&1 | quiet

step "unit: resident shards == alone (500 epochs) and batched frames == lone frames"
timeout 90 "$PY" -m pytest tests/unit/test_framer.py tests/unit/test_batched.py -q -p no:cacheprovider \
    -o addopts="" -k "waiting_together or thirty_two or says_what_the_host" 2>&1 | tail -8
step "done"
