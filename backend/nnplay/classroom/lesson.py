"""A guided lesson's shape: steps of a short explanation, a preset and a question to think about
(classroom/lessons.py holds the lessons themselves)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    title: str
    explanation: str
    config: dict[str, Any]
    question: str

    def public(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "explanation": self.explanation,
            "config": self.config,
            "question": self.question,
        }


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    steps: tuple[Step, ...]
    lab: str = "playground"  # the lab whose runs its steps configure (a room's run must be in it)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "lab": self.lab,
            "steps": [s.public() for s in self.steps],
        }
