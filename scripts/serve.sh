#!/usr/bin/env bash
# Set up (first run only) and start nnplay on http://127.0.0.1:8000. Extra arguments go to `nnplay serve`.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
install_into_venv ""
exec "$VENV/bin/nnplay" serve "$@"
