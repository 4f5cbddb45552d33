"""Helpers of the classroom browser tests: people in browser contexts of their own, a room, joining it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, expect

from conftest import ConsoleErrors, Playground


@contextmanager
def people_in(browser: Browser, base_url: str, **context_args: Any) -> Iterator[Callable[..., Playground]]:
    """Yields `person(**context_args)`: a Playground in a new browser context (no storage shared with the
    others); at the end every page's console is checked and every context closed."""
    opened: list[tuple[Any, Playground]] = []

    def person(**more: Any) -> Playground:
        context = browser.new_context(base_url=base_url, **{**context_args, **more})
        page = context.new_page()
        playground = Playground(page, ConsoleErrors(page))
        opened.append((context, playground))
        return playground

    yield person
    try:
        for _, playground in opened:
            assert playground.console.unexpected() == [], playground.page.url
    finally:
        for context, _ in opened:
            context.close()


def open_room(teacher: Playground) -> str:
    """The teacher's page (opened) becomes a room; returns its code."""
    teacher.by_test_id("teach").click()
    teacher.by_test_id("qr-close").click()
    code = teacher.by_test_id("room-code").inner_text()
    assert len(code) == 6
    return code


def join(student: Playground, code: str, name: str, fork: bool = False) -> Playground:
    """The student opens the join link, joins under `name` and (with `fork`) tries it themselves."""
    student.open(f"/?room={code}")
    student.by_test_id("join-name").fill(name)
    student.by_test_id("join").click()
    expect(student.by_test_id("room-code")).to_have_text(code)
    if fork:
        student.by_test_id("fork").click()
        expect(student.by_test_id("room-banner")).to_be_hidden()
    return student
