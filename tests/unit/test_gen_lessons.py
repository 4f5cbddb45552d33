"""The generative lab's lessons: every step's config is a valid config of the lab, and what the texts
say of the settings holds (the runs' outcomes are watched in the benchmark, not asserted here)."""

import pytest

from nnplay.classroom.lessons import LESSONS as CATALOG
from nnplay.families.gen.config import make_gen_config
from nnplay.families.gen.lessons import LESSONS
from nnplay.families.gen.plan import GenPlan

STEPS = [(lesson["id"], i, step) for lesson in LESSONS for i, step in enumerate(lesson["steps"])]


def test_there_are_two_lessons_mode_collapse_and_the_latent_space():
    assert [lesson["id"] for lesson in LESSONS] == ["gen-mode-collapse", "gen-latent-space"]
    assert {lesson.id for lesson in CATALOG if lesson.lab == "generative"} == {
        "gen-mode-collapse",
        "gen-latent-space",
    }


@pytest.mark.parametrize(("lesson", "index", "step"), STEPS, ids=[f"{s[0]}-{s[1]}" for s in STEPS])
def test_every_lesson_step_is_a_valid_config_of_the_lab(lesson, index, step):
    config = make_gen_config(None, step["config"])
    assert config.is_gan == (lesson == "gen-mode-collapse")


def test_the_one_dimensional_noise_step_maps_a_line_one_curve():
    step = LESSONS[0]["steps"][-1]
    plan = GenPlan(make_gen_config(None, step["config"]))
    manifold = plan.gan_view.manifold
    assert float(abs(manifold[:, 1:]).max()) == 0.0  # every noise point of the grid is on one line


def test_the_grid_lesson_has_25_modes_to_cover():
    plan = GenPlan(make_gen_config(None, LESSONS[0]["steps"][1]["config"]))
    assert plan.plane.centres is not None and len(plan.plane.centres) == 25
