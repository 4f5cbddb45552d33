#!/usr/bin/env bash
# Set up everything the tests need (Python deps, Debian's chromium) and run lint, types and the whole suite.
# Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
install_into_venv "[dev]"
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
cd "$ROOT"
"$VENV/bin/ruff" check backend tests bench
"$VENV/bin/ruff" format --check backend tests bench
"$VENV/bin/mypy" backend/nnplay
# pytest exits 5 when it collected no test: that is a failure here, never a pass.
"$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
