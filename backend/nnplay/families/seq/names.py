"""The sequence lab's names and its table of tasks (no jax here: the settings table, the config and the
CLI's options read them)."""

from __future__ import annotations

from dataclasses import dataclass

RECURRENT = ("rnn", "gru", "lstm")
MODELS = (*RECURRENT, "transformer")
POSITIONAL = ("learned", "sinusoidal", "none")
TASK_NAMES = ("reverse", "copy", "sort", "adding", "parity", "parity_dense", "brackets", "sine")
TOKENS = 16  # the largest vocabulary; tokens are shown as 0-9 a-f


SYMBOLS = "0123456789abcdef"


@dataclass(frozen=True)
class Task:
    name: str
    label: str
    regression: bool = False
    seq2seq: bool = False  # read, then answer (recurrent nets) / answer in place (the Transformer)
    causal: bool = False  # the Transformer may not look ahead
    fixed_vocab: int = 0  # the task's own alphabet size (0: the vocabulary setting)
    symbols: str = SYMBOLS
    min_length: int = 2


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("reverse", "Reverse", seq2seq=True),
        Task("copy", "Copy", seq2seq=True),
        Task("sort", "Sort", seq2seq=True),
        Task("adding", "Adding problem", regression=True, min_length=4),
        Task("parity", "Parity (final label)", fixed_vocab=2),
        Task("parity_dense", "Parity (label every step)", causal=True, fixed_vocab=2),
        Task("brackets", "Bracket depth", causal=True, fixed_vocab=2, symbols="()"),
        Task("sine", "Sine: next step", regression=True, causal=True),
    )
}


assert tuple(TASKS) == TASK_NAMES
