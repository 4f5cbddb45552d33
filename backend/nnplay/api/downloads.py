"""A response the browser saves as a file (exports, reports)."""

from __future__ import annotations

from fastapi import Response


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
