"""sessions/family.py MinibatchSteps: a family whose kernel unit is a minibatch step counts epochs from
its plan's steps per epoch (the image and generative labs)."""

from __future__ import annotations

import pytest

from nnplay.families import default_families

FAMILIES = default_families()
CONFIGS = {
    "images": {"batch_size": 32},
    "generative": {"model": "vae", "batch_size": 64},
}


@pytest.mark.parametrize("lab", list(CONFIGS))
def test_a_steps_family_counts_epochs_from_its_plans_steps_per_epoch(lab):
    family = FAMILIES[lab]
    plan = family.make_plan(family.make_config(None, CONFIGS[lab]), None, None)
    steps = plan.steps_per_epoch
    assert steps > 1
    assert family.units_per_epoch(plan) == float(steps)
    assert family.advance(plan, 3, 0, steps - 1) == (3, steps - 1)
    assert family.advance(plan, 3, steps - 1, 1) == (4, 0)
    assert family.advance(plan, 3, 1, 2 * steps + 1) == (5, 2)
    assert family.progress(plan, 2, steps // 2) == pytest.approx(2 + (steps // 2) / steps)
    assert family.fit_position(plan, 2, steps - 1) == (2, steps - 1)
    assert family.fit_position(plan, 2, steps) == (3, 0)  # a bigger batch: the epoch is over


def test_the_playground_counts_an_epoch_a_unit():
    family = FAMILIES["playground"]
    plan = family.make_plan(family.make_config(None, {}), None, None)
    assert (family.advance(plan, 3, 0, 5), family.units_per_epoch(plan), family.progress(plan, 4, 0)) == (
        (8, 0),
        1.0,
        4.0,
    )
