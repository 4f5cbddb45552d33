"""Frames and epochs the page really shows, measured in headless Chromium against a live server.

    .venv/bin/python bench/browser_fps.py [--seconds 10] [--cases spiral-6x8,default] [--output PATH]
                                          [--base-url http://127.0.0.1:8000]

For each case it starts training and, for `--seconds`, counts in the page with requestAnimationFrame:
the browser's frame rate (it drops when the page's main thread is too busy), the frames that showed a
new epoch (rendered updates), the epochs shown per second (from the epoch read-out) and the server's own
`epochs_per_second` (from the frames, via the read-out that shows it). Frames received over the
websocket are counted too, so a page that falls behind the stream shows up as received > rendered.
Prints a table and writes JSON to bench-results/browser_fps.json. It reports; it never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
ALL_FEATURES = "x1,x2,x1_sq,x2_sq,x1_x2,sin_x1,sin_x2"
CASES = {
    "spiral-6x8": f"/?dataset=spiral&features={ALL_FEATURES}&networkShape=8,8,8,8,8,8&speed=0",
    "default": "/?dataset=circle&speed=0",  # the page's own default is a watchable 1 epoch a frame
}
WARM_UP_S = 1.5

# Counts binary websocket messages (the msgpack frames) before the page's own code runs.
COUNT_SOCKET_FRAMES_JS = """
(() => {
  window.__nnplayBench = { binaryMessages: 0 };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") window.__nnplayBench.binaryMessages += 1;
      });
    }
  };
})();
"""

# One requestAnimationFrame loop for `seconds`: frame intervals, and the read-outs at every frame.
MEASURE_JS = """
async (seconds) => {
  const epochOut = document.querySelector("[data-testid=epoch]");
  const speedOut = document.querySelector("[data-testid=epochs-per-second]");
  const readEpoch = () => Number(epochOut.textContent) || 0;
  const intervals = [];
  const serverRates = [];
  let updates = 0;
  let lastEpoch = readEpoch();
  const firstEpoch = lastEpoch;
  const messagesBefore = window.__nnplayBench.binaryMessages;
  const started = performance.now();
  let previous = started;
  await new Promise((resolve) => {
    function tick(now) {
      intervals.push(now - previous);
      previous = now;
      const epoch = readEpoch();
      if (epoch !== lastEpoch) {
        updates += 1;
        lastEpoch = epoch;
      }
      const rate = Number(speedOut.dataset.serverRate || 0);
      if (rate > 0) serverRates.push(rate);
      if (now - started < seconds * 1000) requestAnimationFrame(tick);
      else resolve();
    }
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - started) / 1000;
  return {
    elapsed_s: elapsed,
    raf_frames: intervals.length,
    intervals_ms: intervals,
    updates,
    epochs_shown: lastEpoch - firstEpoch,
    server_rates: serverRates,
    messages: window.__nnplayBench.binaryMessages - messagesBefore,
  };
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(base_url: str | None) -> Iterator[str]:
    """Yields the base URL of a server: the one given, or `nnplay serve` started here."""
    if base_url:
        yield base_url.rstrip("/")
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "backend"), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "nnplay", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=5) as response:
                    if json.load(response).get("status") == "ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("nnplay serve did not start")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure_case(page: Page, base_url: str, path: str, seconds: float) -> dict[str, Any]:
    page.goto(base_url + path)
    expect(page.get_by_test_id("status")).to_have_text(re.compile(r"^connected"), timeout=90_000)
    expect(page.get_by_test_id("loss-test")).to_have_text(re.compile(r"^\d"), timeout=90_000)
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(WARM_UP_S * 1000)  # past the compile of the exact kernel and Plotly's load
    raw = page.evaluate(MEASURE_JS, seconds)
    page.get_by_test_id("play").click()
    intervals = sorted(raw["intervals_ms"][1:]) or [0.0]
    elapsed = raw["elapsed_s"]
    server_rate = statistics.median(raw["server_rates"]) if raw["server_rates"] else None
    shown_rate = raw["epochs_shown"] / elapsed
    return {
        "path": path,
        "seconds": round(elapsed, 2),
        "raf_fps": round(raw["raf_frames"] / elapsed, 1),
        "rendered_updates_per_s": round(raw["updates"] / elapsed, 1),
        "frames_received_per_s": round(raw["messages"] / elapsed, 1),
        "epochs_shown_per_s": round(shown_rate),
        "server_epochs_per_s": round(server_rate) if server_rate else None,
        "shown_over_server": round(shown_rate / server_rate, 3) if server_rate else None,
        "frame_interval_ms_p50": round(intervals[len(intervals) // 2], 1),
        "frame_interval_ms_p95": round(intervals[int(len(intervals) * 0.95)], 1),
        "frames_over_50ms": sum(1 for i in intervals if i > 50),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--output", default=str(REPO_ROOT / "bench-results" / "browser_fps.json"))
    parser.add_argument("--base-url", default=None, help="use a running server instead of starting one")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    results: dict[str, Any] = {}
    with running_server(args.base_url) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        for name in args.cases.split(","):
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.add_init_script(COUNT_SOCKET_FRAMES_JS)
            results[name] = measure_case(page, base_url, CASES[name], args.seconds)
            page.close()
        browser.close()

    columns = [
        ("case", 12),
        ("raf fps", 8),
        ("updates/s", 10),
        ("received/s", 11),
        ("epochs shown/s", 15),
        ("server epochs/s", 16),
        ("shown/server", 13),
        ("p95 ms", 7),
        (">50 ms", 7),
    ]
    print("".join(title.rjust(width) for title, width in columns))
    for name, r in results.items():
        row = [
            name,
            r["raf_fps"],
            r["rendered_updates_per_s"],
            r["frames_received_per_s"],
            r["epochs_shown_per_s"],
            r["server_epochs_per_s"],
            r["shown_over_server"],
            r["frame_interval_ms_p95"],
            r["frames_over_50ms"],
        ]
        print("".join(str(value).rjust(width) for value, (_, width) in zip(row, columns, strict=True)))

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "browser": "headless chromium (--disable-gpu), 1280x860",
        "cases": results,
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
