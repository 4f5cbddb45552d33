"""A person's own data: points added on the plot and CSV uploads, over the real server."""

import httpx
import numpy as np

from live import create_session, open_client


def all_points(data):
    train = np.frombuffer(data["train_x"], np.float32).reshape(-1, 2)
    test = np.frombuffer(data["test_x"], np.float32).reshape(-1, 2)
    labels = np.concatenate(
        [np.frombuffer(data["train_y"], np.float32), np.frombuffer(data["test_y"], np.float32)]
    )
    return np.concatenate([train, test]), labels


def test_adding_a_point_starts_from_the_shown_data_and_switches_to_custom(session):
    _, client = session
    client.wait_for(lambda m: m.get("type") == "data")
    client.send({"type": "add_point", "x1": 1.5, "x2": -2.0, "label": -1})
    config = client.wait_for(lambda m: m.get("type") == "config")["config"]
    assert config["dataset"] == "custom"
    data = client.wait_for(lambda m: m.get("type") == "data")
    points, labels = all_points(data)
    assert len(points) == 501  # the circle's 500 points and the new one
    index = np.flatnonzero(np.all(points == np.float32([1.5, -2.0]), axis=1))
    assert len(index) == 1 and labels[index[0]] == -1
    client.send({"type": "remove_point", "x1": 1.6, "x2": -2.1})
    data = client.wait_for(lambda m: m.get("type") == "data")
    assert len(all_points(data)[0]) == 500
    client.send({"type": "step"})
    assert client.frame(lambda f: f["epoch"] == 1)


def test_point_with_a_bad_label_or_position_gets_an_error(session):
    _, client = session
    client.send({"type": "add_point", "x1": 0, "x2": 0, "label": 3})
    assert "1 or -1" in client.error()["message"]
    client.send({"type": "add_point", "x1": 0, "x2": 7, "label": 1})
    assert client.error()["field"] == "x2"


def test_csv_upload_replaces_the_data_and_survives_a_reconnect(base_url):
    session_id = create_session(base_url)
    rows = "\n".join(f"{x},{-x},{1 if x > 0 else -1}" for x in np.linspace(-5, 5, 40))
    response = httpx.post(f"{base_url}/api/sessions/{session_id}/points", content="x1,x2,label\n" + rows)
    assert response.status_code == 200 and response.json()["points"] == 40
    assert response.json()["config"]["dataset"] == "custom"
    with open_client(base_url, session_id) as client:
        # the upload is applied between chunks: the new data follows at once
        data = client.wait_for(lambda m: m.get("type") == "data" and len(all_points(m)[0]) == 40)
        points, labels = all_points(data)
        assert len(points) == 40 and set(labels.tolist()) == {-1.0, 1.0}
        client.send({"type": "start"})
        frame = client.frame(lambda f: f["epoch"] > 200, timeout=60)
        assert frame["test_accuracy"] == 1.0
    with open_client(base_url, session_id) as again:  # a reload finds the same points
        assert len(all_points(again.wait_for(lambda m: m.get("type") == "data"))[0]) == 40


def test_bad_csv_upload_says_why_and_changes_nothing(base_url):
    session_id = create_session(base_url, {"dataset": "xor"})
    for body, message in [
        ("x1,x2,label\n1,2,1\n1,2\n", "line 3: expected 3 columns"),
        ("1,2,1\n0,0,nan\n", "line 2: label must be a finite number"),
        ("1,1,0\n2,2,1\n3,3,2\n", "too many classes (0, 1, 2)"),
        ("a,b,c\n", "is not three numbers"),
    ]:
        response = httpx.post(f"{base_url}/api/sessions/{session_id}/points", content=body)
        assert response.status_code == 422 and message in response.json()["detail"][0]["message"], body
    summary = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
    assert summary["config"]["dataset"] == "xor"
