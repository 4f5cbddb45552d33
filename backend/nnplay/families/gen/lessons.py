"""The generative lab's guided lessons, as plain data (the classroom's catalog builds its Lesson and Step
from them: classroom/lesson.py): mode collapse and how to fight it; what a VAE's latent space learns.
Each step's config goes on top of the defaults and the run starts over from it (the page's lesson card,
a room's lesson); tests/unit/test_gen_lessons.py checks every config and what the texts say of them."""

from __future__ import annotations

from typing import Any

LAB = "generative"


def _step(title: str, explanation: str, config: dict[str, Any], question: str) -> dict[str, Any]:
    return {"title": title, "explanation": explanation, "config": config, "question": question}


def _lesson(lesson_id: str, title: str, steps: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return {"id": lesson_id, "title": title, "lab": LAB, "steps": steps}


LESSONS: tuple[dict[str, Any], ...] = (
    _lesson(
        "gen-mode-collapse",
        "Mode collapse, and how to fight it",
        (
            _step(
                "Eight modes to find",
                "The real points sit in 8 tight clusters on a ring. The generator turns 2-D noise into "
                "points; the discriminator's field (blue: 'real') shows where it believes the data is.",
                {"dataset": "ring", "seed": 3},
                "Press play and watch 'modes covered'. Do all 8 modes appear together, or one after the "
                "other? Does a mode stay missing for a while?",
            ),
            _step(
                "Collapse, live",
                "With 25 modes on a grid the generator rarely covers them all: it piles its samples onto "
                "some modes (mode collapse), the discriminator learns to call those fake, and the samples "
                "hop elsewhere.",
                {"dataset": "grid", "seed": 3},
                "Follow the arrows of the samples on one mode: where does the generator's loss push them "
                "once the field there turns orange?",
            ),
            _step(
                "A stronger critic",
                "Five discriminator updates per generator update: the field keeps up with the generator, "
                "so a mode it abandons is marked as 'real and empty' sooner.",
                {"dataset": "grid", "seed": 3, "d_steps": 5},
                "Compare 'modes covered' after the same number of updates with step 2. Is it faster?",
            ),
            _step(
                "Change the game: WGAN-GP",
                "A Wasserstein critic scores points instead of classifying them, and the gradient penalty "
                "keeps its slopes near 1: its field slopes gently from fake to real everywhere, so every "
                "generated point gets a useful push.",
                {"dataset": "grid", "seed": 3, "d_steps": 5, "loss": "wasserstein_gp", "gp_weight": 0.1},
                "Look at the critic's field: how does it differ from the discriminator's of step 3?",
            ),
            _step(
                "A curve cannot cover a ring",
                "With one noise dimension the generator maps a line onto the plane: its manifold is one "
                "curve, and a continuous curve through 8 separate clusters must pass between them.",
                {"dataset": "ring", "seed": 1, "noise_dim": 1},
                "Where do the samples that are not 'good' lie? Raise the noise dimension to 2 while it "
                "trains: what happens to the manifold?",
            ),
        ),
    ),
    _lesson(
        "gen-latent-space",
        "What a VAE's latent space learns",
        (
            _step(
                "An autoencoder's code",
                "The encoder squeezes each 8x8 digit into 2 numbers, the decoder rebuilds the digit from "
                "them. Nobody tells it the classes, yet the test digits' codes (coloured by class) group.",
                {"model": "ae"},
                "Press play. Click an empty region of the latent plane: does it decode to a digit?",
            ),
            _step(
                "The VAE fills the plane",
                "A VAE encodes each digit as a small cloud, not a point, and the KL term pulls the clouds "
                "towards a standard normal: the codes fill the plane around 0 without gaps.",
                {"model": "vae", "beta": 1.0},
                "Look at the decoded grid: is every cell a digit-like picture now? Compare the "
                "reconstruction with the autoencoder's.",
            ),
            _step(
                "Too much KL",
                "With beta 5 the pull towards the prior wins: the codes crowd into one blob, the KL falls, "
                "and the decoder can only draw blurry averages.",
                {"model": "vae", "beta": 5.0},
                "What happens to the 5-NN accuracy and the reconstruction? Why?",
            ),
            _step(
                "Walk between digits",
                "Click inside one class's cluster, then shift-click inside another's: the strip shows the "
                "digits decoded along the way.",
                {"model": "vae", "beta": 1.0},
                "Draw a digit on the pad: where does it land, and is it among its class?",
            ),
        ),
    ),
)


def lesson_catalog() -> list[dict[str, Any]]:
    """The lessons as the page shows them (the classroom's Lesson.public() form)."""
    return [{**lesson, "steps": [dict(step) for step in lesson["steps"]]} for lesson in LESSONS]
