"""A diverged run's message names the rates of its own family: the playground's learning rate, the GAN's
generator and discriminator rates (a GAN has no `learning_rate` of its own to lower)."""

from __future__ import annotations

from nnplay.families.gen.config import make_gen_config
from nnplay.families.gen.family import GenFamily
from nnplay.families.mlp.family import MlpFamily


def test_the_playgrounds_message_names_its_learning_rate_and_a_tenth_of_it() -> None:
    family = MlpFamily()
    text = family.divergence_message(family.make_config(None, {"learning_rate": 3.0}), 41)
    assert "diverged at epoch 42" in text and "Learning rate 3 " in text and "≤ 0.3" in text


def test_a_gans_message_names_both_of_its_rates_and_a_vaes_its_one_rate() -> None:
    family = GenFamily()
    gan = make_gen_config(None, {"model": "gan", "generator_lr": 0.05, "discriminator_lr": 0.02})
    text = family.divergence_message(gan, 9)
    assert "step 10" in text and "generator 0.05" in text and "discriminator 0.02" in text
    assert "≤ 0.005 and ≤ 0.002" in text and "Learning rate" not in text
    vae = make_gen_config(None, {"model": "vae", "learning_rate": 0.01})
    assert "Learning rate 0.01 " in family.divergence_message(vae, 0)
