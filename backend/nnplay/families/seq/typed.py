"""A person's typed sequence: checked against the run's task (clear errors naming what is wrong), and the
answer the task's own rule gives, to set beside the model's."""

from __future__ import annotations

import numpy as np

from .config import SeqConfig
from .names import SYMBOLS, TASKS, Task


class TypedError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def alphabet(task: Task, vocab: int) -> str:
    """The symbols a sequence of the task is written in."""
    if task.name == "brackets":
        return "()"
    return SYMBOLS[: task.fixed_vocab or vocab]


def parse_typed(config: SeqConfig, text: str) -> list[int]:
    """The token ids of `text` (spaces ignored); TypedError says what is wrong."""
    task = TASKS[config.task]
    if task.regression:
        raise TypedError(
            f"{task.label.lower()} reads numbers, not typed tokens: choose a token task to type a sequence"
        )
    symbols = alphabet(task, config.vocab)
    typed = "".join(text.split())
    if not typed:
        raise TypedError(f"type a sequence of the symbols {' '.join(symbols)}")
    for position, char in enumerate(typed, 1):
        if char not in symbols:
            raise TypedError(
                f"unknown token {char!r} at position {position}: this task uses only {' '.join(symbols)}"
            )
    if len(typed) > config.length:
        raise TypedError(f"too long: {len(typed)} tokens, but the model is trained on length {config.length}")
    tokens = [symbols.index(c) for c in typed]
    if task.name == "brackets" and np.min(np.cumsum([1 - 2 * t for t in tokens])) < 0:
        raise TypedError("these brackets close more than they open: the depth would go below 0")
    return tokens


def expected_answer(task: Task, tokens: list[int]) -> list[int]:
    """The task's right answer at each scored step of a typed sequence."""
    if task.name == "copy":
        return list(tokens)
    if task.name == "reverse":
        return tokens[::-1]
    if task.name == "sort":
        return sorted(tokens)
    if task.name == "parity":
        return [sum(tokens) % 2]
    if task.name == "parity_dense":
        return [int(v) % 2 for v in np.cumsum(tokens)]
    return [int(v) for v in np.cumsum([1 - 2 * t for t in tokens])]  # bracket depth


def answer_steps(task: Task, length: int, recurrent: bool) -> list[int]:
    """The steps at which the model's answer is read."""
    if task.seq2seq:
        return list(range(length, 2 * length)) if recurrent else list(range(length))
    if task.name == "parity":
        return [length - 1]
    return list(range(length))
