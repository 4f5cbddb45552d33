"""The join URL as a QR code, made offline with segno: SVG for the page, blocks for the terminal."""

from __future__ import annotations

import io
from typing import TextIO

import segno


def join_qr_svg(url: str) -> str:
    """An SVG that scales to its box (viewBox, no fixed size), dark on white, with a quiet zone."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out,
        kind="svg",
        scale=1,
        border=4,
        omitsize=True,
        xmldecl=False,
        title="QR code of the join link",
        dark="#000",
        light="#fff",
    )
    return out.getvalue().decode()


def print_join_qr(url: str, out: TextIO) -> None:
    """The QR code in block characters, for a terminal."""
    segno.make(url, error="m").terminal(out=out, compact=True)
