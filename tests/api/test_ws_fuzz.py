"""Fuzzing the websocket protocol over one real connection: malformed, mistyped, huge, non-finite, deeply
nested, unicode, binary and oversized messages interleaved with valid ones. The connection and the
session survive, every bad message gets an `error` that names the problem, and the run stays consistent.

Hypothesis runs with a fixed seed (derandomize) so the same 1,000+ messages are sent on every run.
"""

from __future__ import annotations

import json
import string
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from nnplay.client_messages import MESSAGE_TYPES
from nnplay.protocol import MAX_MESSAGE_BYTES
from nnplay.schemas import TrainConfig
from nnplay.settings import SETTINGS_BY_NAME

from live import Client, create_session, open_client, serve

BATCHES = 110  # hypothesis examples
BATCH_SIZE = 12  # messages per example: ~1,300 messages in all
MIN_MESSAGES = 1000


@dataclass(frozen=True)
class Bad:
    """A message the server must refuse with one error: its code, and the field it names (if any)."""

    raw: str | bytes
    category: str
    codes: frozenset[str]
    field: str | None = None


@dataclass(frozen=True)
class Good:
    message: dict[str, Any]
    category: str


@dataclass
class Run:
    """What the fuzzing saw on its one connection."""

    base: str
    session_id: str
    client: Client
    config: dict[str, Any]
    counts: Counter[str] = field(default_factory=Counter)
    last_epoch: int = 0
    frames: int = 0


# ---- strategies --------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
not_a_number = (
    st.none()
    | st.lists(json_scalars, max_size=3)
    | st.dictionaries(st.text(max_size=5), json_scalars, max_size=2)
    | st.text(alphabet=string.ascii_letters + "äø🌀", min_size=1, max_size=10)
)
not_a_dict = st.none() | st.lists(json_scalars, max_size=3) | json_scalars.filter(lambda v: v is not None)
huge_numbers = st.sampled_from(
    [1e308, -1e308, 1.7976931348623157e308, 10**18, -(10**18), 2**63 - 1, -(2**63)]
)
NON_FINITE_LITERALS = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999")
unicode_text = st.text(st.characters(codec="utf-8", min_codepoint=0x80), min_size=1, max_size=12)
UNKNOWN_SETTING = st.text(string.ascii_lowercase + "_ü", min_size=1, max_size=12).filter(
    lambda s: s not in SETTINGS_BY_NAME
)
FIELDS_OF = {
    "set_weight": {"layer": 0, "source": 0, "target": 0, "value": 0.25},
    "set_bias": {"layer": 0, "neuron": 0, "value": 0.1},
    "add_point": {"x1": 1.0, "x2": 1.0, "label": 1},
    "remove_point": {"x1": 1.0, "x2": 1.0},
    "configure": {"changes": {"learning_rate": 0.03}},
}


def dumps(message: Any) -> str:
    return json.dumps(message, allow_nan=False)


@st.composite
def random_json(draw: st.DrawFn) -> Bad:
    value = draw(json_values)
    if isinstance(value, dict):
        value.pop("type", None)
    return Bad(dumps(value), "random JSON", frozenset({"invalid_message"}), "type")


@st.composite
def unknown_type(draw: st.DrawFn) -> Bad:
    kind = draw(st.text(max_size=12) | unicode_text | st.integers() | st.none() | st.booleans())
    if kind in MESSAGE_TYPES:
        kind = f"{kind}!"
    return Bad(dumps({"type": kind}), "unknown type", frozenset({"unknown_type", "invalid_message"}), "type")


@st.composite
def wrong_type(draw: st.DrawFn) -> Bad:
    kind = draw(st.sampled_from(sorted(FIELDS_OF)))
    message = {"type": kind, **FIELDS_OF[kind]}
    name = draw(st.sampled_from(sorted(FIELDS_OF[kind])))
    if draw(st.booleans()):
        message[name] = draw(not_a_dict if name == "changes" else not_a_number)
    else:
        del message[name]
    return Bad(dumps(message), "wrong type or missing field", frozenset({"invalid_message"}), name)


@st.composite
def out_of_range(draw: st.DrawFn) -> Bad:
    """Huge numbers and values outside a setting's range, where a number is expected."""
    choice = draw(st.sampled_from(["learning_rate", "noise", "batch_size", "regularization_rate", "value"]))
    number = draw(huge_numbers)
    if choice == "value":
        message = {"type": "set_weight", "layer": 0, "source": 0, "target": 0, "value": number}
        return Bad(dumps(message), "huge number", frozenset({"invalid_message"}), "value")
    message = {"type": "configure", "changes": {choice: number}}
    return Bad(dumps(message), "huge number", frozenset({"invalid_value"}), choice)


@st.composite
def non_finite(draw: st.DrawFn) -> Bad:
    literal = draw(st.sampled_from(NON_FINITE_LITERALS))
    where = draw(st.sampled_from(["learning_rate", "value", "x1"]))
    if where == "learning_rate":
        raw = '{"type": "configure", "changes": {"learning_rate": ' + literal + "}}"
    elif where == "value":
        raw = '{"type": "set_bias", "layer": 0, "neuron": 0, "value": ' + literal + "}"
    else:
        raw = '{"type": "add_point", "x1": ' + literal + ', "x2": 0, "label": 1}'
    return Bad(raw, "non-finite number", frozenset({"invalid_json"}))


@st.composite
def bad_setting(draw: st.DrawFn) -> Bad:
    """Unknown settings, unicode names, bad choices and bad indices of a weight."""
    case = draw(st.sampled_from(["unknown", "dataset", "features", "layers", "weight index"]))
    if case == "unknown":
        name = draw(UNKNOWN_SETTING)
        message: dict[str, Any] = {"type": "configure", "changes": {name: draw(json_scalars)}}
        return Bad(dumps(message), "bad setting", frozenset({"invalid_value"}), name)
    if case == "dataset":
        message = {"type": "configure", "changes": {"dataset": draw(unicode_text)}}
        return Bad(dumps(message), "unicode", frozenset({"invalid_value"}), "dataset")
    if case == "features":
        message = {"type": "configure", "changes": {"features": ["x1", draw(unicode_text)]}}
        return Bad(dumps(message), "unicode", frozenset({"invalid_value"}), "features")
    if case == "layers":
        layers = draw(st.lists(st.integers(-5, 10**6), min_size=1, max_size=20).filter(bad_layers))
        message = {"type": "configure", "changes": {"hidden_layers": layers}}
        return Bad(dumps(message), "bad setting", frozenset({"invalid_value"}), "hidden_layers")
    index = draw(st.sampled_from(["layer", "source", "target"]))
    message = {"type": "set_weight", "layer": 0, "source": 0, "target": 0, "value": 0.5}
    message[index] = draw(st.integers(50, 2**62))
    return Bad(dumps(message), "bad weight index", frozenset({"invalid_value"}), index)


def bad_layers(layers: list[int]) -> bool:
    limits = SETTINGS_BY_NAME["hidden_layers"]
    del limits  # reference mode: at most 6 layers of 1-8 neurons
    return len(layers) > 6 or any(n < 1 or n > 8 for n in layers)


@st.composite
def deep_nesting(draw: st.DrawFn) -> Bad:
    depth = draw(st.integers(50, 3000))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    nested = opening * depth + "1" + closing * depth
    if draw(st.booleans()):  # as the whole message, or as the value of a setting
        codes = {"invalid_json"} if depth > 1000 else {"invalid_message"}
        return Bad(nested, "deep nesting", frozenset(codes), None if depth > 1000 else "type")
    raw = '{"type": "configure", "changes": {"learning_rate": ' + nested + "}}"
    codes = {"invalid_json"} if depth > 1000 else {"invalid_value"}
    return Bad(raw, "deep nesting", frozenset(codes), None if depth > 1000 else "learning_rate")


@st.composite
def binary_frame(draw: st.DrawFn) -> Bad:
    raw = draw(st.binary(min_size=1, max_size=64))
    if raw.lstrip()[:1] in (b"{", b"[", b'"') or raw.strip().isdigit():
        raw = b"\xff" + raw  # keep it certainly not a JSON message
    return Bad(raw, "binary frame", frozenset({"invalid_json"}))


@st.composite
def oversized(draw: st.DrawFn) -> Bad:
    size = draw(st.integers(MAX_MESSAGE_BYTES + 1, 4 * MAX_MESSAGE_BYTES))
    padding = " " * (size - len('{"type": "ping"}'))
    raw: str | bytes = '{"type": "ping"' + padding + "}"
    if draw(st.booleans()):
        raw = raw.encode()
    return Bad(raw, "oversized", frozenset({"too_large"}))


@st.composite
def valid(draw: st.DrawFn) -> Good:
    kind = draw(st.sampled_from(["ping", "step", "configure", "set_weight", "set_bias", "start", "pause"]))
    if kind == "configure":
        name = draw(st.sampled_from(["learning_rate", "batch_size", "regularization_rate"]))
        value = {
            "learning_rate": st.sampled_from([0.001, 0.003, 0.01, 0.03, 0.1]),
            "batch_size": st.integers(1, 30),
            "regularization_rate": st.sampled_from([0.0, 0.001, 0.01]),
        }[name]
        return Good({"type": "configure", "changes": {name: draw(value)}}, "valid configure")
    if kind == "set_weight":
        value = draw(st.floats(-100, 100, allow_nan=False))
        return Good(
            {"type": "set_weight", "layer": 0, "source": 0, "target": 0, "value": value}, "valid edit"
        )
    if kind == "set_bias":
        value = draw(st.floats(-100, 100, allow_nan=False))
        return Good({"type": "set_bias", "layer": 0, "neuron": 0, "value": value}, "valid edit")
    return Good({"type": kind}, f"valid {kind}")


bad_messages = st.one_of(
    random_json(),
    unknown_type(),
    wrong_type(),
    out_of_range(),
    non_finite(),
    bad_setting(),
    deep_nesting(),
    binary_frame(),
    oversized(),
)
messages = st.one_of(bad_messages, valid(), bad_messages, valid())


# ---- the run -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with serve() as base:
        session_id = create_session(base)
        with open_client(base, session_id) as client:
            hello = client.wait_for(lambda m: m.get("type") == "hello")
            yield Run(base, session_id, client, dict(hello["config"]))


def receive(run: Run) -> dict[str, Any]:
    """The next message; frames and announced configs are checked on the way."""
    message = run.client.next(timeout=30)
    kind = message.get("type")
    if kind == "frame":
        assert message["epoch"] >= run.last_epoch, "the epoch went backwards"
        run.last_epoch = message["epoch"]
        run.frames += 1
    elif kind == "config":
        TrainConfig.model_validate(message["config"])  # every announced config is a valid one
        run.config = dict(message["config"])
    return message


def replies_until_pong(run: Run, pongs: int = 1) -> list[dict[str, Any]]:
    """Everything that arrives until the `pongs`-th pong, the last one answering a ping sent now. A
    message is checked when it arrives, so its error comes before that pong; what it changes may come
    later (a configure is announced once the run loop has applied it)."""
    run.client.send({"type": "ping"})
    replies = []
    while True:
        message = receive(run)
        if message.get("type") == "pong":
            pongs -= 1
            if pongs == 0:
                return replies
            continue
        replies.append(message)


def until_config_has(run: Run, changes: dict[str, Any]) -> None:
    """Wait for the announcement of an accepted configure (none comes for a change that changes nothing:
    that one is answered at once)."""
    while any(run.config[name] != value for name, value in changes.items()):
        message = receive(run)
        assert message.get("type") != "error", message


def send(run: Run, item: Bad | Good) -> None:
    if isinstance(item, Good):
        run.client.send(item.message)
    else:
        run.client.ws.send(item.raw)
    pinged = isinstance(item, Good) and item.message["type"] == "ping"
    errors = [m for m in replies_until_pong(run, 2 if pinged else 1) if m.get("type") == "error"]
    run.counts[item.category] += 1
    if isinstance(item, Good):
        assert errors == [], (item.message, errors)
        if item.message["type"] == "configure":
            until_config_has(run, item.message["changes"])
        return
    assert len(errors) == 1, (item.category, str(item.raw)[:200], errors)
    error = errors[0]
    assert error["code"] in item.codes, (item.category, str(item.raw)[:200], error)
    assert error["message"], error
    if item.field is not None:
        assert error["field"] == item.field, (item.category, str(item.raw)[:200], error)
    if item.codes == {"invalid_json"}:
        assert "JSON" in error["message"]
    if item.codes == {"too_large"}:
        assert f"the limit is {MAX_MESSAGE_BYTES}" in error["message"]


def test_a_thousand_fuzzed_messages_leave_the_connection_and_the_session_consistent(run: Run) -> None:
    @settings(
        max_examples=BATCHES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(messages, min_size=BATCH_SIZE, max_size=BATCH_SIZE))
    def fuzz(batch: list[Bad | Good]) -> None:
        for item in batch:
            send(run, item)

    fuzz()
    run.client.send({"type": "pause"})
    replies_until_pong(run)
    summary = httpx.get(f"{run.base}/api/sessions/{run.session_id}").json()
    assert summary["state"] == "paused"
    assert summary["epoch"] >= run.last_epoch
    TrainConfig.model_validate(summary["config"])
    assert summary["config"] == run.config  # what the last announcement said is what the session has
    bad = sum(n for kind, n in run.counts.items() if not kind.startswith("valid"))
    total = sum(run.counts.values())
    print(
        f"\nfuzzed {total} messages over one connection ({bad} bad, {total - bad} valid); "
        f"{run.frames} frames, final epoch {summary['epoch']}, 1 connection and 1 session survived; "
        f"by kind: {dict(sorted(run.counts.items()))}"
    )
    assert bad >= MIN_MESSAGES
