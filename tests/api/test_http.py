import httpx

from nnplay.settings import SETTINGS


def test_health_reports_ok_and_the_jax_device(base_url):
    body = httpx.get(base_url + "/api/health").json()
    assert body["status"] == "ok" and body["device"] in ("cpu", "gpu", "tpu", "cuda", "rocm")
    assert body["devices"] and body["jax_version"]


def test_schema_serves_every_setting_of_the_table(base_url):
    body = httpx.get(base_url + "/api/schema").json()
    names = [s["name"] for s in body["settings"]]
    assert names == [s.name for s in SETTINGS]
    lr = next(s for s in body["settings"] if s["name"] == "learning_rate")
    assert lr["min"] == 1e-05 and lr["max"] == 10 and lr["default"] == 0.03 and lr["url_key"]
    assert {d["name"] for d in body["datasets"]} == {
        "circle",
        "xor",
        "gauss",
        "spiral",
        "moons",
        "checkerboard",
        "blobs",
        "spirals",
        "custom",
        "plane",
        "multigauss",
    }


def test_create_session_returns_id_and_full_config(base_url):
    response = httpx.post(
        base_url + "/api/sessions", json={"config": {"dataset": "xor", "learning_rate": 0.1}}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["config"]["dataset"] == "xor" and body["config"]["hidden_layers"] == [4, 2]
    summary = httpx.get(f"{base_url}/api/sessions/{body['id']}").json()
    assert (
        summary["config"]["learning_rate"] == 0.1 and summary["epoch"] == 0 and summary["state"] == "paused"
    )


def test_create_session_with_out_of_range_setting_names_field_and_range(base_url):
    response = httpx.post(base_url + "/api/sessions", json={"config": {"learning_rate": 50}})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["field"] == "learning_rate"
    assert "between 1e-05 and 10" in error["message"] and "50" in error["message"]


def test_unknown_session_is_404(base_url):
    response = httpx.get(base_url + "/api/sessions/does-not-exist")
    assert response.status_code == 404 and "does-not-exist" in response.json()["detail"]


def test_oversized_body_is_refused_with_413(base_url):
    response = httpx.post(
        base_url + "/api/sessions",
        content=b"{" + b" " * 400_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_page_plotly_and_security_headers_are_served(base_url):
    page = httpx.get(base_url + "/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self';" in csp and " ws:" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    plotly = httpx.get(base_url + "/vendor/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert plotly.headers["content-type"].startswith("text/javascript")


def test_session_limits_evict_unwatched_sessions_then_refuse_with_429():
    from live import open_client, serve

    def create(base):
        return httpx.post(base + "/api/sessions", json={})

    with serve(max_sessions=3, max_sessions_per_client=2) as base:
        unwatched, watched = create(base).json()["id"], create(base).json()["id"]
        with open_client(base, watched) as viewer:
            viewer.wait_for(lambda m: m["type"] == "hello")
            newest = create(base)  # at the client's limit: the unwatched session makes room
            assert newest.status_code == 201
            assert httpx.get(f"{base}/api/sessions/{unwatched}").status_code == 404
            assert httpx.get(f"{base}/api/sessions/{watched}").status_code == 200
            with open_client(base, newest.json()["id"]) as second_viewer:
                second_viewer.wait_for(lambda m: m["type"] == "hello")
                refused = create(base)  # both watched: nothing may be evicted
                assert refused.status_code == 429 and "2 sessions" in refused.json()["detail"]


def test_a_started_server_puts_its_start_up_heap_beyond_the_garbage_collector():
    """Full collections over everything jax and the app made at start-up stopped every server thread for
    100-150 ms at a time (30 sessions, 2 cores); the server freezes that heap and collects less often."""
    import gc

    from nnplay.app import GC_YOUNG_THRESHOLD
    from nnplay.inprocess import running_server

    young, *older = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, *older)
    try:
        with running_server() as base:
            assert httpx.get(base + "/api/health").status_code == 200
            assert gc.get_freeze_count() > 10_000
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    finally:
        gc.set_threshold(young, *older)
