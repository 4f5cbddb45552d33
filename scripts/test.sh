#!/usr/bin/env bash
# Set up everything the tests need (Python deps, Debian's chromium, redis-server, haproxy, Postgres) and run
# lint, types and the whole suite.
# Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
install_into_venv "[dev,cluster]"
# Debian's packages the tests need: chromium (browser tests), redis-server, haproxy and Postgres (the
# cluster's tests, tests/cluster/, which run a real local cluster on loopback).
MISSING=()
[ -x /usr/bin/chromium ] || MISSING+=(chromium)
command -v redis-server >/dev/null || MISSING+=(redis-server)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || MISSING+=(haproxy)
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || MISSING+=(postgresql)
if [ ${#MISSING[@]} -gt 0 ]; then
  echo "installing Debian's ${MISSING[*]} for the tests" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
fi
export NNPLAY_CLUSTER_TESTS=required  # here a missing part of the cluster fails its tests, never skips them
cd "$ROOT"
"$VENV/bin/ruff" check backend tests bench
"$VENV/bin/ruff" format --check backend tests bench
"$VENV/bin/mypy" backend/nnplay
# pytest exits 5 when it collected no test: that is a failure here, never a pass.
if [ "$#" -gt 0 ]; then
  exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
fi
# The whole suite: one pytest process per level. Each compiled kernel a process keeps costs it memory maps,
# and the suite's in-process servers compile thousands: in one process the suite came near Linux's
# 65,530 maps a process (vm.max_map_count) and XLA aborted late in the run.
# One fresh compile cache for the levels (each process would otherwise start an empty one of its own).
JAX_COMPILATION_CACHE_DIR="$(mktemp -d -t nnplay-tests-jax-XXXXXX)"
export JAX_COMPILATION_CACHE_DIR
trap 'rm -rf "$JAX_COMPILATION_CACHE_DIR"' EXIT
failed=()
for level in tests/*/; do
  level="${level%/}"
  [ -n "$(find "$level" -name 'test_*.py' -print -quit)" ] || continue
  echo "=== $level" >&2
  "$VENV/bin/python" -m pytest -p no:cacheprovider "$level" || failed+=("$level")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED levels: ${failed[*]}" >&2
  exit 1
fi
