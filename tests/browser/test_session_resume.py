"""Sessions outlive the page: a reload resumes this tab's run; links never carry a session."""

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


def test_bare_visit_in_the_same_tab_resumes_the_tabs_session(app):
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text("1")
    session_id = app.session_id()
    app.open("/")
    assert app.session_id() == session_id
    expect(app.by_test_id("epoch")).to_have_text("1")


def test_a_session_id_in_an_old_link_is_ignored_and_dropped_from_the_url(app, new_tab):
    other = new_tab(f"/?session={app.session_id()}")
    assert other.session_id() != app.session_id()
    assert "session" not in other.page.url
    assert other.server_session()["epoch"] == 0


def test_a_link_with_other_settings_in_the_same_tab_starts_a_new_run(app):
    first = app.session_id()
    app.open("/?dataset=xor")
    assert app.session_id() != first
    assert app.server_session()["config"]["dataset"] == "xor"
