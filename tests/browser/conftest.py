"""Browser tests: the real server in a subprocess, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

# Assertions on the page wait up to 15 s for it to show what they expect (Playwright's default is 5 s): on
# a loaded 2-core machine a change that starts a fresh run may wait on a compile first. A test is about
# what the page shows, never how fast (benchmarks time things).
expect.set_options(timeout=15_000)

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "test-results"
SERVER_START_TIMEOUT_S = 90.0
# The first frame waits for JAX to compile the training step, which takes a while on 2 CPU cores.
FIRST_FRAME_TIMEOUT_MS = 60_000
CONNECTED = re.compile(r"^connected · ")
LOSS_TEXT = re.compile(r"^\d+\.\d{3}$")

# Samples the canvases a selector matches (every 7th pixel's RGBA, one after the other) so two
# renderings can be compared from Python. The output heat map is two canvases: grid and points.
_CANVAS_SAMPLE_JS = """(selector) => {
    const sample = [];
    for (const canvas of document.querySelectorAll(selector)) {
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4 * 7) {
            sample.push(data[i], data[i + 1], data[i + 2], data[i + 3]);
        }
    }
    return sample;
}"""

# The pixels of one neuron's map (its grid, 1:1, in the canvas inside its button).
_NEURON_MAP_SAMPLE_JS = """(testId) => {
    const canvas = document.querySelector(`[data-testid="${testId}"] canvas`);
    return Array.from(canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data);
}"""

# A point on a weight link where that link (not a crossing one) is on top, in page coordinates.
_LINK_POINT_JS = """(testId) => {
    const group = document.querySelector(`[data-testid="${testId}"]`);
    const line = group.querySelector(".link-line");
    const svg = group.ownerSVGElement.getBoundingClientRect();
    const at = (name) => Number(line.getAttribute(name));
    for (const t of [0.4, 0.3, 0.5, 0.6, 0.25, 0.7, 0.2, 0.8]) {
        const x = svg.left + at("x1") + (at("x2") - at("x1")) * t;
        const y = svg.top + at("y1") + (at("y2") - at("y1")) * t;
        const hit = document.elementFromPoint(x, y);
        if (hit && group.contains(hit)) return [x, y];
    }
    return null;
}"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> Any:
    """GET `url` and parse the JSON body (urllib, so it does not depend on the page)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Runs `python -m nnplay serve` on a free port; yields its base URL.

    With NNPLAY_TEST_BASE_URL set, uses that already running server instead (for debugging).
    """
    RESULTS_DIR.mkdir(exist_ok=True)
    if os.environ.get("NNPLAY_TEST_BASE_URL"):
        yield os.environ["NNPLAY_TEST_BASE_URL"].rstrip("/")
        return
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "backend"), env.get("PYTHONPATH")]))
    env.setdefault("NNPLAY_SESSION_CREATIONS_PER_MINUTE", "6000")  # every test page comes from 127.0.0.1
    for name in (
        "ROOM_CREATIONS_PER_MINUTE",
        "ROOM_CREATION_BURST",
        "MAX_ROOMS_PER_CLIENT",
        "ROOM_JOIN_BURST",
    ):
        env.setdefault(f"NNPLAY_{name}", "6000")  # ... and so does every room and every join
    env.setdefault("NNPLAY_DATA_DIR", tempfile.mkdtemp(prefix="nnplay-browser-"))  # classroom rooms
    log_path = RESULTS_DIR / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nnplay", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    tail = log_path.read_text()[-3000:]
                    pytest.fail(f"nnplay serve exited with {process.returncode}:\n{tail}")
                try:
                    if get_json(f"{base_url}/api/health").get("status") == "ok":
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"nnplay serve did not answer /api/health:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def results_dir() -> Path:
    """test-results/ at the repository root, for screenshots and the server log."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Makes page.goto("/") and page.request.get("/api/...") go to the live server."""
    return live_server


class ConsoleErrors:
    """Collects console errors and uncaught exceptions of a page."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        self.allowed: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(message.text)

    def _on_page_error(self, error: Error) -> None:
        self.messages.append(f"uncaught: {error}")

    def allow(self, fragment: str) -> None:
        """Expect errors containing `fragment` (e.g. the browser logging an HTTP 422)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(fragment in m for fragment in self.allowed)]


@pytest.fixture
def console_errors(page: Page) -> Iterator[ConsoleErrors]:
    """Fails the test if the page logged an error it did not expect."""
    errors = ConsoleErrors(page)
    yield errors
    assert errors.unexpected() == []


class Playground:
    """The nnplay page as the tests see it: read-outs, the session and the server's view of it."""

    def __init__(self, page: Page, console: ConsoleErrors) -> None:
        self.page = page
        self.console = console

    def open(self, path: str = "/") -> Playground:
        self.page.goto(path)
        self.wait_until_connected()
        return self

    def wait_until_connected(self) -> None:
        """Waits for the socket and for the first frame (a test loss is shown)."""
        expect(self.page.get_by_test_id("status")).to_have_text(CONNECTED, timeout=FIRST_FRAME_TIMEOUT_MS)
        expect(self.page.get_by_test_id("loss-test")).to_have_text(LOSS_TEXT, timeout=FIRST_FRAME_TIMEOUT_MS)

    def open_panel(self, name: str) -> None:
        """Opens a panel shown on demand ("toolbox", "layers", "insight") by its toggle, if it is closed."""
        toggle = self.by_test_id(f"{name}-toggle")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")

    def by_test_id(self, test_id: str) -> Locator:
        return self.page.get_by_test_id(test_id)

    def epoch(self) -> int:
        return int(self.by_test_id("epoch").inner_text())

    def loss_chart_points(self) -> int:
        """How many points the loss chart draws (0 before the first trained epoch)."""
        return int(self.by_test_id("loss-chart").get_attribute("data-points") or 0)

    def test_loss(self) -> float:
        return float(self.by_test_id("loss-test").inner_text())

    def session_id(self) -> str:
        """This tab's session id (kept in sessionStorage, never in the URL)."""
        session_id = self.page.evaluate("() => window.sessionStorage.getItem('nnplay.session')")
        assert session_id, "the tab remembers no session"
        return str(session_id)

    def server_session(self) -> dict[str, Any]:
        """What the server says about the page's session (GET /api/sessions/<id>)."""
        response = self.page.request.get(f"/api/sessions/{self.session_id()}")
        assert response.status == 200, response.text()
        return dict(response.json())

    def wait_until(self, condition: Callable[[], Any], timeout_s: float, what: str) -> Any:
        """Polls `condition` until it returns something truthy (and returns that)."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
            time.sleep(0.1)

    def canvas_sample(self, selector: str = "[data-testid=output-heatmap] canvas") -> list[int]:
        """Sampled RGBA values of the canvases `selector` matches, to tell whether what they show changed."""
        return list(self.page.evaluate(_CANVAS_SAMPLE_JS, selector))

    def neuron_map(self, test_id: str) -> list[int]:
        """The RGBA pixels of a neuron's (or the output node's) map in the network diagram."""
        return list(self.page.evaluate(_NEURON_MAP_SAMPLE_JS, test_id))

    def click_link(self, test_id: str) -> None:
        """Clicks a weight link where no crossing link lies over it."""
        point = self.page.evaluate(_LINK_POINT_JS, test_id)
        assert point, f"no clickable point on {test_id}"
        self.page.mouse.click(*point)

    def wait_for_server(
        self, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 30.0
    ) -> dict[str, Any]:
        """Polls the server's view of the session until `predicate` holds; returns it."""
        deadline = time.monotonic() + timeout_s
        while True:
            session = self.server_session()
            if predicate(session):
                return session
            if time.monotonic() > deadline:
                raise AssertionError(f"server session never matched; last seen: {session}")
            time.sleep(0.1)


@pytest.fixture
def playground(page: Page, console_errors: ConsoleErrors) -> Playground:
    """A Playground page object (not opened yet)."""
    return Playground(page, console_errors)


@pytest.fixture
def app(playground: Playground) -> Playground:
    """The playground opened on a fresh session at maximum speed (the tests train for many epochs;
    the page's own watchable default is tested on its own), connected and showing its first frame."""
    return playground.open("/?speed=0")


@pytest.fixture
def new_tab(page: Page) -> Iterator[Callable[[str], Playground]]:
    """Opens a path in another tab of the same browser (as pasting a link would); checks its console too."""
    tabs: list[Playground] = []

    def open_tab(path: str) -> Playground:
        tab = page.context.new_page()
        playground = Playground(tab, ConsoleErrors(tab))
        tabs.append(playground)
        return playground.open(path)

    yield open_tab
    for tab in tabs:
        assert tab.console.unexpected() == []
