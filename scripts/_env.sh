# Shared by serve.sh and test.sh: make .venv (Python 3.11+) and install nnplay into it when needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "nnplay needs Python 3.11 or newer" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $PY" >&2
  "$PY" -m venv "$VENV"
fi

# install_into_venv EXTRAS: (re)install when pyproject.toml or the extras changed since last time.
install_into_venv() {
  local extras="$1" stamp="$VENV/.nnplay-installed" want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1) $extras"
  if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT$extras"
    echo "$want" > "$stamp"
  fi
}
