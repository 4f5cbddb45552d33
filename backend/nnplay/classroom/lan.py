"""This host's addresses on the local network, read from its interfaces (no packet is sent anywhere)."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys

SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address


def _linux_interface_addresses() -> set[str]:
    import fcntl

    found = set()
    for _, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe, contextlib.suppress(OSError):
            packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            found.add(socket.inet_ntoa(packed[20:24]))
    return found


def lan_addresses() -> list[str]:
    """IPv4 addresses of this host that others on the network can reach: private ones first, no loopback
    or link-local."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        found |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    if sys.platform.startswith("linux"):
        found |= _linux_interface_addresses()
    usable = [ipaddress.ip_address(a) for a in found]
    usable = [a for a in usable if not (a.is_loopback or a.is_link_local or a.is_unspecified)]
    return [str(a) for a in sorted(usable, key=lambda a: (not a.is_private, a))]
