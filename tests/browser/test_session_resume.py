"""Sessions outlive the page: a reload resumes the same run."""

from __future__ import annotations

from playwright.sync_api import expect


def test_reload_resumes_the_same_session_without_resetting_the_epoch(app):
    for expected_epoch in (1, 2, 3):
        app.by_test_id("step").click()
        expect(app.by_test_id("epoch")).to_have_text(str(expected_epoch))
    session_id = app.session_id()
    app.page.reload()
    app.wait_until_connected()
    assert app.session_id() == session_id
    expect(app.by_test_id("epoch")).to_have_text("3")


def test_bare_visit_resumes_the_session_remembered_in_local_storage(app):
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text("1")
    session_id = app.session_id()
    app.open("/")
    assert app.session_id() == session_id
    expect(app.by_test_id("epoch")).to_have_text("1")


def test_unknown_session_in_the_link_starts_a_new_one(playground):
    playground.console.allow("404")  # Chromium logs the GET of the unknown session
    playground.open("/?session=does-not-exist")
    assert playground.session_id() != "does-not-exist"
    assert playground.server_session()["epoch"] == 0
