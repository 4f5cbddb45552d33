"""How uvicorn serves the app, the same for `nnplay serve` and nnplay.inprocess: sizes refused while they
arrive, no proxy trusted unless configured, and logs without capabilities in them.

- `ws_max_size`: a websocket message past WS_MAX_BYTES closes the connection (1009) as soon as its frame
  header announces it, unread; uvicorn's default (16 MiB) read 20 parallel 15 MB messages whole, which
  took the server from 0.6 to 1.2 GB. Between protocol.MAX_MESSAGE_BYTES (64 KiB) and WS_MAX_BYTES a
  message is read (at most 256 KiB) and answered with a `too_large` error on a connection that stays open,
  as docs/protocol.md promises for every bad message.
- `proxy_headers=False`: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, so any local
  process could pick its own rate-limit identity; the app trusts only NNPLAY_TRUSTED_PROXIES
  (api/guards.py).
- Session ids, watch ids and tokens are capabilities: the access and error logs show `/ws/sessions/{id}`
  and `token=…` instead (room codes stay: they only let people ask to join).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from .config import ServerSettings
from .protocol import MAX_MESSAGE_BYTES

WS_MAX_BYTES = 4 * MAX_MESSAGE_BYTES

# Paths whose last part is a capability: whoever knows it may drive or watch that run.
CAPABILITY_PATH = re.compile(
    r"(/(?:api/sessions|api/images/sessions|ws/sessions|ws/watch|ws/images)/)[^/?#\s\"']+"
)
TOKEN_QUERY = re.compile(r"([?&]token=)[^&#\s\"']*")


def redact(text: str) -> str:
    """`text` with every capability in a path or a query replaced by a placeholder."""
    return TOKEN_QUERY.sub(r"\1…", CAPABILITY_PATH.sub(r"\1{id}", text))


class RedactCapabilities(logging.Filter):
    """Rewrites a log record's message and arguments (uvicorn's access lines keep their shape)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, with every handler passing through RedactCapabilities."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": f"{__name__}.RedactCapabilities"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    return config


def uvicorn_options(settings: ServerSettings, log_level: str = "info") -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config beside the app, host and port."""
    return {
        "ws_max_size": WS_MAX_BYTES,
        "ws_per_message_deflate": settings.websocket_deflate,
        "proxy_headers": False,  # the app trusts NNPLAY_TRUSTED_PROXIES only (api/guards.py)
        "log_config": log_config(),
        "log_level": log_level,
    }
