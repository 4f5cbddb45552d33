"""The sequence lab's lessons, in the classroom's lesson shape (classroom/lesson.py: steps of a title,
an explanation, a config and a question), with the lab they run in. Each step's config is validated by
the lab's settings table (tests/unit/test_seq_lessons.py), and its claims are measured there or in
bench/sequences.py. They are served by the classroom once it runs lessons in a lab other than the
playground."""

from __future__ import annotations

from typing import Any

LAB = "sequences"

LESSONS: tuple[dict[str, Any], ...] = (
    {
        "id": "vanishing-through-time",
        "lab": LAB,
        "title": "Vanishing gradients through time",
        "steps": [
            {
                "title": "The adding problem, 50 steps",
                "explanation": "Two of 50 numbers are marked; the net must output their sum at the end. "
                "A GRU learns it in a few hundred steps: its MSE falls from the baseline 0.167 "
                "(always answering the mean) below 0.01.",
                "config": {
                    "task": "adding",
                    "model": "gru",
                    "length": 50,
                    "width": 32,
                    "learning_rate": 0.01,
                },
                "question": "Look at the gradient through time: how does ‖∂L/∂hₜ‖ change from the last step "
                "back to the first?",
            },
            {
                "title": "The plain RNN over 150 steps",
                "explanation": "The same task over 150 steps with a plain RNN: the gradient reaching "
                "the early steps is orders of magnitude smaller than at the end, so the first marked number "
                "barely moves the weights and the MSE sits at the baseline.",
                "config": {
                    "task": "adding",
                    "model": "rnn",
                    "length": 150,
                    "width": 32,
                    "learning_rate": 0.01,
                },
                "question": "Why does multiplying by the same recurrent matrix 150 times shrink (or blow up) "
                "a gradient?",
            },
            {
                "title": "The LSTM keeps it",
                "explanation": "The LSTM's cell state is carried by a forget gate near 1 (deep blue in the "
                "gates view): the gradient flows back along it, and the MSE falls below 0.01 within "
                "about 500 steps.",
                "config": {
                    "task": "adding",
                    "model": "lstm",
                    "length": 150,
                    "width": 32,
                    "learning_rate": 0.01,
                },
                "question": "Watch the forget gate while it learns: which units keep it open between the "
                "two marked numbers?",
            },
        ],
    },
    {
        "id": "what-attention-learns",
        "lab": LAB,
        "title": "What attention learns",
        "steps": [
            {
                "title": "Reverse a sequence",
                "explanation": "A one-layer Transformer with two heads learns to reverse 8 tokens. "
                "Every step answers in place, so it must look at its mirror position.",
                "config": {
                    "task": "reverse",
                    "model": "transformer",
                    "length": 8,
                    "width": 32,
                    "layers": 1,
                    "heads": 2,
                    "positional": "learned",
                    "speed": 1,
                },
                "question": "Press Play and watch the attention maps: what shape do they take, and why?",
            },
            {
                "title": "No positions, no reversal",
                "explanation": "Without a positional encoding, attention sees a bag of tokens: every step "
                "looks the same to it, so it cannot tell where its mirror is.",
                "config": {"task": "reverse", "model": "transformer", "length": 8, "positional": "none"},
                "question": "Which tasks could a Transformer still solve without positions (try sort)?",
            },
            {
                "title": "Sorting needs two layers",
                "explanation": "Sorting 8 tokens: a two-layer Transformer reaches 99 % in a few hundred "
                "steps. Its attention no longer follows a fixed pattern: it depends on the tokens.",
                "config": {
                    "task": "sort",
                    "model": "transformer",
                    "length": 8,
                    "layers": 2,
                    "positional": "learned",
                },
                "question": "Choose another test sequence: does the attention map change with the tokens?",
            },
        ],
    },
)


def lesson_catalog() -> list[dict[str, Any]]:
    return [dict(lesson) for lesson in LESSONS]
