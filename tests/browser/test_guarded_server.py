"""The page under the server's guards: a token in its URL and CSP `connect-src 'self'` (the page's own
websocket and fetches are 'self'; the CSP would log any other connection as a console error)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from nnplay.inprocess import running_server

from conftest import CONNECTED, FIRST_FRAME_TIMEOUT_MS, LOSS_TEXT, ConsoleErrors

TOKEN = "class-2026-secret"


@pytest.fixture(scope="module")
def token_server() -> Iterator[str]:
    with running_server(token=TOKEN, session_creations_per_minute=6000) as base:
        yield base


def test_the_page_with_its_token_connects_and_trains_under_the_csp(page: Page, token_server: str):
    console = ConsoleErrors(page)
    response = page.goto(f"{token_server}/?token={TOKEN}")
    assert response is not None and "connect-src 'self';" in response.headers["content-security-policy"]
    expect(page.get_by_test_id("status")).to_have_text(CONNECTED, timeout=FIRST_FRAME_TIMEOUT_MS)
    expect(page.get_by_test_id("loss-test")).to_have_text(LOSS_TEXT, timeout=FIRST_FRAME_TIMEOUT_MS)
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("epoch")).not_to_have_text(re.compile(r"^0$"), timeout=FIRST_FRAME_TIMEOUT_MS)
    page.get_by_test_id("play").click()
    assert console.unexpected() == []  # no CSP violation, no refused request
    assert "token=" in page.url  # the token stays in the URL, for reloads and shared links
