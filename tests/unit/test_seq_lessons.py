"""The sequence lab's lessons: every step's config is a valid config of the lab, and what the steps say
about the gradient through time holds on fresh nets."""

from __future__ import annotations

import numpy as np
import pytest

from nnplay.families.seq.config import make_seq_config
from nnplay.families.seq.lessons import LESSONS
from nnplay.families.seq.plan import SeqPlan


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson["id"] for lesson in LESSONS])
def test_every_lesson_step_is_a_valid_config_of_the_lab(lesson):
    assert lesson["lab"] == "sequences" and len(lesson["steps"]) >= 2
    for step in lesson["steps"]:
        make_seq_config(None, step["config"])
        assert step["title"] and step["explanation"] and step["question"].endswith("?")


def test_the_rnns_gradient_through_time_vanishes_where_the_lstms_does_not():
    """Adding problem over 50 steps, 300 steps of training at the lesson's learning rate: ‖∂L/∂h_t‖ at
    the first step relative to the last has vanished for the plain RNN (stuck near the baseline MSE),
    not for the LSTM (which learns the task)."""
    ratios, mse = {}, {}
    for model in ("rnn", "lstm"):
        config = {"task": "adding", "model": model, "length": 50, "learning_rate": 0.003}
        plan = SeqPlan(make_seq_config(None, config))
        frame = plan.evaluate(plan.train(plan.fresh_state(), 300))
        grads = np.asarray(frame.out["example"]["grad_through_time"])[:50]
        ratios[model], mse[model] = grads[0] / grads[-1], frame.figure("test", "mse")
    assert ratios["rnn"] < 1e-5 < 1e-2 < ratios["lstm"], ratios
    assert mse["rnn"] > 0.1 > 0.01 > mse["lstm"], mse
