"""`nnplay serve --classroom`: the LAN address, its origin, the join URL and QR code in the terminal."""

from __future__ import annotations

import ipaddress

import httpx

from nnplay.classroom.lan import lan_addresses
from nnplay.classroom.serve import classroom_settings
from nnplay.config import ServerSettings
from nnplay.inprocess import free_port, server_process


def test_classroom_settings_bind_the_first_lan_address_and_allow_its_origin(capsys):
    addresses = lan_addresses()
    assert all(not ipaddress.ip_address(a).is_loopback for a in addresses)
    settings = classroom_settings(ServerSettings(port=8123), host_given=False)
    if not addresses:
        assert settings is None and "no network address" in capsys.readouterr().err
        return
    assert settings is not None and settings.host == addresses[0]
    assert settings.allowed_origins[-1] == f"http://{addresses[0]}:8123"
    assert settings.public_url == f"http://{addresses[0]}:8123"
    printed = capsys.readouterr().err
    assert f"http://{addresses[0]}:8123/" in printed and "▄" in printed  # the URL and a terminal QR code


def test_serve_classroom_prints_the_join_url_and_qr_and_join_links_use_it(tmp_path):
    port = free_port()
    env = {"NNPLAY_DATA_DIR": str(tmp_path), "NNPLAY_WARMUP": "false"}
    log = tmp_path / "serve.log"
    with server_process(log, "--classroom", "--host", "127.0.0.1", port=port, env=env) as base:
        printed = log.read_text()
        assert f"Students open {base}/" in printed and "█" in printed and "teacher key" in printed
        room = httpx.post(base + "/api/rooms", headers={"Host": "localhost:1"}).json()
        assert room["join_url"] == f"{base}/?room={room['code']}"  # the public URL, not the Host header
