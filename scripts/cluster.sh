#!/usr/bin/env bash
# A local nnplay cluster on loopback (docs/cluster.md): Redis, Postgres, a Ray head and 2 worker nodes with
# one engine shard each, 2 gateways and HAProxy on 127.0.0.1:${NNPLAY_PORT:-8000}.
#   bash scripts/cluster.sh up               start it (in the background; logs and state in $NNPLAY_CLUSTER_DIR)
#   bash scripts/cluster.sh down             stop everything it started
#   bash scripts/cluster.sh status           the cluster's health, as a gateway reports it
#   bash scripts/cluster.sh stop-node NAME   kill one engine node (node-1, node-2) as a lost machine dies
#   bash scripts/cluster.sh add-node NAME    bring a node back (its shard restarts there)
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
DIR="${NNPLAY_CLUSTER_DIR:-/tmp/nnplay-cluster}"
PORT="${NNPLAY_PORT:-8000}"
needs() {
  "$VENV/bin/python" -c "import ray, redis, psycopg" 2>/dev/null || install_into_venv "[dev,cluster]"
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian's ${missing[*]} for the cluster" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
case "${1:-}" in
  up)
    needs
    mkdir -p "$DIR"; chmod 755 "$DIR"
    if [ -f "$DIR/keeper.pid" ] && kill -0 "$(cat "$DIR/keeper.pid")" 2>/dev/null; then
      echo "already up (keeper $(cat "$DIR/keeper.pid")); bash scripts/cluster.sh down first" >&2; exit 1
    fi
    nohup "$VENV/bin/python" -m nnplay.cluster.local up "$DIR" --port "$PORT" >"$DIR/keeper.log" 2>&1 &
    echo $! > "$DIR/keeper.pid"
    for _ in $(seq 1 600); do
      [ -f "$DIR/cluster.json" ] && { echo "nnplay cluster up: http://127.0.0.1:$PORT (state in $DIR)"; exit 0; }
      kill -0 "$(cat "$DIR/keeper.pid")" 2>/dev/null || { echo "the cluster failed to start:" >&2; tail -30 "$DIR/keeper.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "the cluster did not come up in 5 minutes; see $DIR/keeper.log" >&2; exit 1 ;;
  down)
    [ -f "$DIR/keeper.pid" ] || { echo "not running" >&2; exit 0; }
    pid="$(cat "$DIR/keeper.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$DIR/keeper.pid"; echo "nnplay cluster down" ;;
  status)
    curl -fsS "http://127.0.0.1:$PORT/api/health"; echo ;;
  stop-node|add-node)
    [ -n "${2:-}" ] || { echo "usage: $0 $1 NAME (node-1, node-2)" >&2; exit 2; }
    "$VENV/bin/python" -m nnplay.cluster.local command "$DIR" "$1" "$2" ;;
  *)
    echo "usage: $0 up | down | status | stop-node NAME | add-node NAME" >&2; exit 2 ;;
esac
