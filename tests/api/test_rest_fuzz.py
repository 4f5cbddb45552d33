"""Fuzzing every REST operation of the served `/openapi.json` with schemathesis against a real server:
no 500s.

Bounded: a fixed number of examples per operation and generation mode (valid and invalid input), with a
fixed seed; every other case of a session route aims at a live session, so that those routes are
exercised past their 404. (schemathesis' pytest plugin does not run on pytest 9, so its Python API drives
hypothesis here.)
"""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_url

from live import create_session, serve

EXAMPLES_PER_OPERATION_AND_MODE = 12


def test_no_rest_operation_of_the_openapi_schema_answers_a_server_error() -> None:
    seen: Counter[str] = Counter()
    with serve() as base:
        schema = from_url(base + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 6
        aim_at_a_session = itertools.cycle([True, False])
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(
                    max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def fuzz(case: Case) -> None:
                    if "session_id" in (case.path_parameters or {}) and next(aim_at_a_session):
                        case.path_parameters["session_id"] = create_session(base)
                    response = case.call(base_url=base, timeout=30)
                    case.validate_response(response, checks=[not_a_server_error])
                    seen[f"{case.method} {case.path} -> {response.status_code}"] += 1

                try:
                    fuzz()
                except Unsatisfiable:  # nothing to get wrong: the operation takes no input
                    assert mode == GenerationMode.NEGATIVE
                    seen[f"{operation.method.upper()} {operation.path}: no invalid input exists"] += 1
    reached = {key.split(" -> ")[0] for key in seen if " -> " in key}
    assert {f"{op.method.upper()} {op.path}" for op in operations} <= reached
    requests = sum(n for key, n in seen.items() if " -> " in key)
    print(f"\nREST fuzz: {requests} requests, no 5xx; by operation and status: {dict(sorted(seen.items()))}")
