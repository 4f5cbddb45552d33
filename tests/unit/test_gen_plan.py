"""The generative lab's plans: edits within a bucket compile nothing and keep the weights, the chunk is
its two halves, a clicked latent decodes as the decoder says, and the CLI prints the issue's figures."""

import json

import jax
import numpy as np
import pytest

from nnplay.cli import main
from nnplay.families.gen.config import GenConfigError, make_gen_config
from nnplay.families.gen.plan import GenPlan

SMALL_GAN = {"generator_layers": [16], "discriminator_layers": [16], "batch_size": 32}
SMALL_VAE = {"model": "vae", "encoder_layers": [16], "batch_size": 32}


def plan_of(changes, previous=None, custom=None):
    return GenPlan(make_gen_config(None, changes), previous, custom)


@pytest.fixture(scope="module")
def gan():
    plan = plan_of(SMALL_GAN)
    return plan, plan.train(plan.fresh_state(), 3)


@pytest.fixture(scope="module")
def vae():
    plan = plan_of(SMALL_VAE)
    return plan, plan.train(plan.fresh_state(), 3)


def same_leaves(a, b):
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True))


@pytest.mark.parametrize(
    "edit",
    [
        {"generator_layers": [12, 16]},
        {"discriminator_layers": [5]},
        {"noise_dim": 1},
        {"d_steps": 3},
        {"generator_lr": 0.01},
        {"dataset": "grid"},
        {"generator_activation": "tanh"},
    ],
)
def test_a_gan_edit_within_its_bucket_keeps_the_kernel_key_and_every_weight(gan, edit):
    plan, state = gan
    edited = plan_of({**SMALL_GAN, **edit}, plan)
    assert edited.train_uses()[0].key == plan.train_uses()[0].key
    assert edited.frame_uses(False)[0].key == plan.frame_uses(False)[0].key
    assert same_leaves(edited.adopt(state), state)


@pytest.mark.parametrize("edit", [{"model": "ae"}, {"beta": 0.1}, {"encoder_layers": [3, 9]}])
def test_an_autoencoder_edit_within_its_bucket_keeps_the_kernel_key_and_every_weight(vae, edit):
    plan, state = vae
    edited = plan_of({**SMALL_VAE, **edit}, plan)
    assert edited.train_uses()[0].key == plan.train_uses()[0].key
    assert same_leaves(edited.adopt(state), state)


def test_a_wider_generator_moves_to_a_bigger_bucket_and_keeps_its_old_weights(gan):
    plan, state = gan
    wider = plan_of({**SMALL_GAN, "generator_layers": [40]}, plan)
    assert wider.train_uses()[0].key != plan.train_uses()[0].key
    carried = wider.adopt(state)
    assert carried.g.w_in.shape == (4, 64)
    np.testing.assert_array_equal(carried.g.w_in[:, :16], state.g.w_in)
    np.testing.assert_array_equal(carried.d.w_out, state.d.w_out)


def test_a_chunk_of_one_step_is_the_discriminator_half_then_the_generator_half(gan):
    plan, state = gan
    whole = plan.train(state, 1)
    halves = plan.train(plan.discriminator_half(state), 1)  # the chunk skips the updates already done
    assert int(plan.discriminator_half(state).d_done) == 1 and int(whole.d_done) == 0
    assert int(whole.step) == int(state.step) + 1
    for a, b in zip(jax.tree.leaves(whole), jax.tree.leaves(halves), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def numpy_decoder(net, layers, z):
    """The decoder's forward pass in numpy (ReLU; the padded neurons switched off by hand)."""
    h = np.maximum(z @ np.asarray(net.w_in)[:, : layers[0]] + np.asarray(net.b_in)[: layers[0]], 0)
    for i, width in enumerate(layers[1:]):
        w, b = np.asarray(net.w[i])[: layers[i], :width], np.asarray(net.b[i])[:width]
        h = np.maximum(h @ w + b, 0)
    logits = h @ np.asarray(net.w_out)[: layers[-1]] + np.asarray(net.b_out)
    return 1 / (1 + np.exp(-logits))


def test_decoding_a_clicked_latent_point_is_the_decoder_applied_to_it():
    plan = plan_of({**SMALL_VAE, "encoder_layers": [16, 8]})
    state = plan.train(plan.fresh_state(), 5)
    z = np.array([[0.5, -1.25], [3.9, 3.9]], np.float32)
    decoded = plan.decode(state, z)
    assert decoded.shape == (2, 64)
    np.testing.assert_allclose(decoded, numpy_decoder(state.decoder, (8, 16), z), rtol=1e-4, atol=1e-5)


def test_an_unknown_model_or_too_many_neurons_is_refused_naming_the_setting():
    with pytest.raises(GenConfigError, match="model must be one of gan, ae, vae") as info:
        make_gen_config(None, {"model": "diffusion"})
    assert info.value.field == "model"
    with pytest.raises(GenConfigError, match="layer 2 must have 1 to 256 neurons"):
        make_gen_config(None, {"generator_layers": [8, 300]})
    with pytest.raises(GenConfigError, match="noise dimension must be between 1 and 4"):
        make_gen_config(None, {"noise_dim": 9})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cli_prints_the_gan_figures_for_each_seed(capsys, seed):
    args = ["train", "--lab", "generative", "--model", "gan", "--dataset", "ring", "--json"]
    small = ["--generator-layers", "16", "--discriminator-layers", "16", "--batch-size", "32"]
    assert main([*args, "--steps", "300", "--seed", str(seed), *small]) == 0  # SMALL_GAN's kernel
    result = json.loads(capsys.readouterr().out)
    assert result["modes"] == 8 and 0 <= result["modes_covered"] <= 8
    assert 0.0 <= result["good_sample_share"] <= 1.0 and result["updates"] == 300


def test_the_cli_prints_the_vae_figures(capsys):
    args = ["train", "--lab", "generative", "--model", "vae", "--epochs", "3", "--json"]
    assert main([*args, "--encoder-layers", "16", "--batch-size", "32"]) == 0  # SMALL_VAE's kernel
    result = json.loads(capsys.readouterr().out)
    assert result["elbo"] == pytest.approx(result["reconstruction"] + result["kl"], abs=1e-3)
    assert 0.1 <= result["latent_knn_accuracy"] <= 1.0


def test_the_cli_refuses_a_bad_setting_in_words(capsys):
    assert main(["train", "--lab", "generative", "--d-steps", "0", "--json"]) == 2
    assert "discriminator steps must be between 1 and 10" in capsys.readouterr().err
