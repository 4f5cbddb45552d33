"""`nnplay serve --classroom`: the settings that serve a class on the local network, and what to tell
the teacher in the terminal."""

from __future__ import annotations

import sys

from ..config import ServerSettings
from .lan import lan_addresses
from .qr import print_join_qr


def classroom_settings(settings: ServerSettings, host_given: bool) -> ServerSettings | None:
    """Bind the LAN address (or the --host given), allow its origin, and make it the public URL.

    Prints the join URL, its QR code and the threat model in short; None (with a message) when this host
    has no LAN address."""
    host = settings.host
    if not host_given:
        addresses = lan_addresses()
        if not addresses:
            print("error: no network address found on this host; pass --host ADDRESS", file=sys.stderr)
            return None
        host = addresses[0]
    url = f"http://{host}:{settings.port}"
    updates = {
        "host": host,
        "allowed_origins": (*settings.allowed_origins, url),
        "public_url": settings.public_url or url,
    }
    if "allowed_hosts" in type(settings).model_fields:  # the security settings, where present
        updates["allowed_hosts"] = (*getattr(settings, "allowed_hosts", ()), host)
    served = settings.model_copy(update=updates)
    print(f"nnplay classroom: open {url}/ and press 'Teach a class'.", file=sys.stderr)
    print(f"Students open {url}/ (or scan this) and type the room code:", file=sys.stderr)
    print_join_qr(f"{url}/", sys.stderr)
    print(
        "Anyone on this network can reach the page; the room code lets students join, only the teacher key "
        "(kept by the teacher's browser tab) drives the teacher's run and the class; per-client session "
        "limits guard the CPU.",
        file=sys.stderr,
    )
    return served
