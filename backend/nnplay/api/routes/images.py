"""The image lab's routes: those every lab has (labs.py) and the check of a layer stack for its editor."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..deps import Manager
from .labs import lab_routes

LAB = "images"
router = lab_routes(LAB, "image-lab")


class StackBody(BaseModel):
    layers: list[Any]


@router.post("/api/images/architecture")
def check_architecture(body: StackBody, manager: Manager) -> dict[str, Any]:
    """Shapes, parameter counts and the first error of a stack, for the editor (no session needed)."""
    family: Any = manager.family(LAB)
    result: dict[str, Any] = family.check_stack(body.layers)
    return result
