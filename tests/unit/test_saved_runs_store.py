"""The saved runs' SQLite store and a run's loss history (pure, no server)."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from nnplay.classroom.store import StoreError
from nnplay.saved_runs.service import BadRunName, check_name
from nnplay.saved_runs.store import RunExists, SavedRunRow, SqliteRunStore
from nnplay.sessions.history import MAX_POINTS, LossHistory


def row(name: str, epoch: int = 10, state: bytes = b"\x00\x01") -> SavedRunRow:
    return SavedRunRow(
        name=name,
        lab="playground",
        config={"dataset": "spiral", "learning_rate": 0.03},
        state=state,
        epoch=epoch,
        own_data=None,
        history={"epoch": [0, epoch], "train_loss": [0.5, 0.2], "test_loss": [0.6, None]},
        figures={"test_loss": 0.25, "grid": "AAE="},
        saved_at=1000.0 + epoch,
    )


def test_a_saved_run_comes_back_as_it_was_stored_after_the_file_is_reopened(tmp_path):
    store = SqliteRunStore(tmp_path)
    store.put(row("first", 10, bytes(range(256))))
    store.close()
    again = SqliteRunStore(tmp_path)
    assert again.get("first") == row("first", 10, bytes(range(256)))
    assert again.get("other") is None


def test_a_name_in_use_is_refused_unless_overwrite_is_asked(tmp_path):
    store = SqliteRunStore(tmp_path)
    store.put(row("run", 10))
    with pytest.raises(RunExists, match="already exists"):
        store.put(row("run", 99))
    assert store.get("run").epoch == 10  # the first one is untouched
    store.put(row("run", 99), overwrite=True)
    assert store.get("run").epoch == 99


def test_rows_list_the_newest_first_and_delete_forgets_one(tmp_path):
    store = SqliteRunStore(tmp_path)
    for name, epoch in (("a", 1), ("b", 3), ("c", 2)):
        store.put(row(name, epoch))
    assert [r.name for r in store.rows()] == ["b", "c", "a"]
    assert store.delete("c") is True
    assert store.delete("c") is False
    assert [r.name for r in store.rows()] == ["b", "a"]
    assert set(store.rows()[0].listing()) >= {"name", "lab", "epoch", "config", "test_loss"}
    assert "state" not in store.rows()[0].listing()


def test_a_file_from_a_newer_nnplay_is_refused(tmp_path):
    SqliteRunStore(tmp_path).close()
    db = sqlite3.connect(tmp_path / "runs.sqlite3")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteRunStore(tmp_path)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "give the run a name"),
        ("   ", "give the run a name"),
        ("x" * 65, "at most 64"),
        ("a\u200bb", "invisible"),
        ("a/b", "may not hold /"),
    ],
)
def test_names_that_cannot_be_saved_say_why(name, why):
    with pytest.raises(BadRunName, match=why):
        check_name(name)


def test_names_are_trimmed_and_normalised():
    assert check_name("  ｓｐｉｒａｌ 1 ") == "spiral 1"


def frame(train, test):
    return SimpleNamespace(train_loss=train, test_loss=test)


def test_the_history_records_each_epoch_once_and_cuts_back_when_the_run_goes_back():
    history = LossHistory()
    for epoch in (0, 10, 20, 30):
        history.record(epoch, frame(1.0 / (epoch + 1), 2.0 / (epoch + 1)))
    history.record(30, frame(0.5, float("nan")))  # a newer frame of the same epoch (an edit) replaces it
    assert history.to_json()["epoch"] == [0, 10, 20, 30]
    assert history.to_json()["test_loss"][-1] is None  # never NaN in JSON
    history.record(0, frame(0.9, 0.9))  # a reset: the past of the new weights is epoch 0 alone
    assert history.to_json() == {"epoch": [0], "train_loss": [0.9], "test_loss": [0.9]}


def test_the_history_stays_bounded_and_keeps_its_newest_point():
    history = LossHistory()
    for epoch in range(3 * MAX_POINTS):
        history.record(epoch, frame(1.0, 1.0))
    assert len(history) <= MAX_POINTS
    assert history.to_json()["epoch"][-1] == 3 * MAX_POINTS - 1
    assert history.to_json()["epoch"][0] == 0


def test_a_restored_history_ends_at_the_saved_epoch_and_ignores_malformed_input():
    history = LossHistory()
    history.restore({"epoch": [0, 5, 9], "train_loss": [1, 2, 3], "test_loss": [1, None, 3]}, up_to_epoch=5)
    assert history.to_json() == {"epoch": [0, 5], "train_loss": [1.0, 2.0], "test_loss": [1.0, None]}
    history.restore({"epoch": [0, 1], "train_loss": [1]}, up_to_epoch=5)  # lengths differ: ignored
    assert history.to_json()["epoch"] == [0, 5]
