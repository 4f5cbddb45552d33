"""The generative lab over the real websocket: a GAN and a VAE train and are edited live; own points,
the step-by-step mode, decoding a click; bad input gets a clear message."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from live import Client

SMALL_GAN = {"generator_layers": [16], "discriminator_layers": [16], "batch_size": 32}
SMALL_VAE = {"model": "vae", "encoder_layers": [16], "batch_size": 32}
MAX_FRAME_BYTES = 20 * 1024


def create(base: str, config: dict[str, Any]) -> str:
    response = httpx.post(base + "/api/generative/sessions", json={"config": config}, timeout=120)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@contextlib.contextmanager
def lab_client(base: str, session_id: str) -> Iterator[Client]:
    with connect(base.replace("http", "ws") + f"/ws/generative/{session_id}", max_size=2**22) as ws:
        yield Client(ws)


@pytest.fixture(scope="module")
def gan(base_url: str) -> Iterator[tuple[str, Client]]:
    session_id = create(base_url, SMALL_GAN)
    with lab_client(base_url, session_id) as client:
        yield session_id, client


def points_of(frame: dict[str, Any], name: str) -> np.ndarray:
    return np.frombuffer(frame[name], "<f4").reshape(-1, 2)


def test_a_gan_trains_over_the_websocket_and_its_frames_hold_every_view(gan):
    _, client = gan
    hello = client.wait_for(lambda m: m.get("type") == "hello")
    assert hello["lab"] == "generative" and hello["schema"]["losses"][2] == "wasserstein_gp"
    data = client.wait_for(lambda m: m.get("type") == "data")
    assert np.frombuffer(data["points"], "<f4").size == 2 * 2048 and data["extent"] == 3.0
    first = client.frame(timeout=180)
    client.send({"type": "start"})
    frame = client.frame(lambda f: f["state"] == "training" and f["updates"] >= 50, timeout=120)
    client.send({"type": "pause"})
    assert points_of(frame, "samples").shape == (512, 2)
    assert points_of(frame, "manifold").shape == (225, 2) and points_of(frame, "arrows").shape == (96, 2)
    assert len(frame["field"]["data"]) == 48 * 48 and frame["field_kind"] == "probability"
    assert 0 <= frame["modes_covered"] <= frame["modes"] == 8
    assert 0 <= frame["good_sample_share"] <= 1 and frame["d_loss"] is not None
    assert not np.array_equal(points_of(frame, "samples"), points_of(first, "samples"))


def test_a_gan_frame_is_at_most_20_kb(base_url):
    with lab_client(base_url, create(base_url, SMALL_GAN)) as client:
        raw = None
        while not isinstance(raw, bytes) or b"samples" not in raw:
            raw = client.ws.recv(timeout=180)
        assert len(raw) <= MAX_FRAME_BYTES


def test_an_edit_of_the_generator_while_training_keeps_the_weights_and_reaches_a_frame(gan):
    _, client = gan
    client.send({"type": "start"})
    client.frame(lambda f: f["state"] == "training", timeout=60)
    client.send({"type": "configure", "changes": {"generator_layers": [12, 16], "noise_dim": 1}})
    config = client.wait_for(lambda m: m.get("type") == "config")
    assert config["config"]["generator_layers"] == [12, 16] and config.get("fresh_run") in (None, False)
    edited = client.frame(lambda f: f["config_version"] >= config["config_version"], timeout=60)
    client.send({"type": "pause"})
    assert edited["updates"] > 0  # the run went on: no fresh start


def test_the_step_by_step_mode_does_the_discriminator_then_the_generator(gan):
    _, client = gan
    client.send({"type": "pause"})
    before = client.frame(lambda f: f["state"] == "paused", timeout=60)
    client.send({"type": "half_step", "phase": "discriminator"})
    after_d = client.frame(lambda f: f["d_loss"] != before["d_loss"], timeout=60)
    assert after_d["updates"] == before["updates"] and after_d["g_loss"] == before["g_loss"]
    client.send({"type": "half_step", "phase": "generator"})
    after_g = client.frame(lambda f: f["updates"] == before["updates"] + 1, timeout=60)
    assert after_g["g_loss"] != before["g_loss"]


def test_own_points_uploaded_as_csv_become_the_data_and_text_in_it_is_refused(base_url, gan):
    session_id, client = gan
    url = f"{base_url}/api/generative/sessions/{session_id}/points"
    bad = httpx.post(url, content="x,y\n1,2\n3,oops\n", timeout=30)
    assert bad.status_code == 422 and "line 3: 'oops' is not a number" in bad.text
    square = "\n".join(f"{x},{y}" for x in (-1, 0, 1) for y in (-1, 0, 1))
    good = httpx.post(url, content=square, timeout=60)
    assert good.status_code == 200, good.text
    assert good.json()["points"] == 9 and good.json()["config"]["dataset"] == "custom"
    data = client.wait_for(lambda m: m.get("type") == "data" and len(m["points"]) == 9 * 8)
    assert sorted(map(tuple, np.frombuffer(data["points"], "<f4").reshape(-1, 2).tolist()))[0] == (-1, -1)
    client.send({"type": "set_points", "points": [[0.5, 0.5]] * 3})
    error = client.wait_for(lambda m: m.get("type") == "error")
    assert "at least 8 points" in error["message"]


@pytest.fixture(scope="module")
def vae(base_url: str) -> Iterator[Client]:
    with lab_client(base_url, create(base_url, SMALL_VAE)) as client:
        yield client


def test_a_vae_frame_holds_its_latent_views_and_figures(vae):
    data = vae.wait_for(lambda m: m.get("type") == "data")
    labels = np.frombuffer(data["labels"], np.uint8)
    vae.send({"type": "step", "units": 40})
    frame = vae.frame(lambda f: f["updates"] >= 40, timeout=180)
    assert np.frombuffer(frame["latents"], "<f4").size == 2 * len(labels)
    assert len(frame["grid"]) == 100 * 64 and len(frame["reconstructions"]) == 8 * 64
    assert frame["elbo"] == pytest.approx(frame["reconstruction"] + frame["kl"], abs=1e-3)
    assert 0 <= frame["latent_knn_accuracy"] <= 1


def test_a_click_in_the_latent_plane_decodes_and_one_outside_it_is_refused_in_words(vae):
    vae.send({"type": "decode", "points": [[0.5, -1.0], [1.0, 1.0]]})
    decoded = vae.wait_for(lambda m: m.get("type") == "decoded", timeout=120)
    assert len(decoded["images"]) == 2 and len(decoded["images"][0]) == 64
    assert all(0 <= v <= 255 for v in decoded["images"][0])
    vae.send({"type": "decode", "points": [[7.5, 0.0]]})
    error = vae.wait_for(lambda m: m.get("type") == "error")
    assert "outside the latent plane" in error["message"] and error["field"] == "points"


def test_a_drawn_digit_is_encoded_to_a_point_of_the_latent_plane(vae):
    vae.send({"type": "encode", "pixels": [0, 8, 16, 8] * 16})
    encoded = vae.wait_for(lambda m: m.get("type") == "encoded", timeout=120)
    assert len(encoded["point"]) == 2 and all(np.isfinite(encoded["point"]))
    vae.send({"type": "encode", "pixels": [1] * 10})
    assert "64 values" in vae.wait_for(lambda m: m.get("type") == "error")["message"]
