"""The generative lab's routes: those every lab has (labs.py) and own points (CSV) for its GAN."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from ...sessions import Session
from ...sessions.commands import ReplaceData
from ..deps import lab_session
from .labs import lab_routes

LAB = "generative"
MAX_CSV_BYTES = 200_000
router = lab_routes(LAB, "generative-lab")
GenerativeSession = Annotated[Session, Depends(lab_session(LAB))]


@router.post("/api/generative/sessions/{session_id}/points")
async def upload_points(session: GenerativeSession, request: Request) -> dict[str, Any]:
    """Replace the GAN's data with own points: a CSV body of `x,y` lines (the data set becomes "custom")."""
    from ...families.gen.points import parse_points_csv

    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV is {len(body) // 1000} KB; at most {MAX_CSV_BYTES // 1000} KB")
    points = parse_points_csv(body.decode("utf-8", errors="replace"))  # PointsError: 422 (errors.py)
    if not session.accepted_config.is_gan:
        raise HTTPException(422, "own points are the GAN's data: pick the GAN first")
    await session.perform(ReplaceData((points,)))
    return {"points": len(points), "config": session.config.public()}
