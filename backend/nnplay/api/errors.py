"""The core's typed errors as HTTP problems a person can read, written once for every route.

`{"detail": "..."}` for a refusal, `{"detail": [{"field", "message"}]}` for a value that is not allowed
(request bodies that fail their pydantic model too), with `Retry-After` on every 429.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..classroom.actions import ChallengeRefused, LessonError
from ..classroom.lifecycle import TooManyRooms
from ..classroom.rooms import BadName, NotTeacher, RoomFull, RoomNotFound, TooManyWrongCodes
from ..experiments.sweeps import RunNotOpen, SweepNotFound, TooManySweeps
from ..export.script import ExportError
from ..saved_runs.compare import CompareError
from ..saved_runs.service import BadRunName, RunExists, RunNotReopened, SavedRunNotFound
from ..schemas import ConfigError
from ..sessions import SessionNotFound, TooManySessions
from ..userdata import PointsError

RETRY_SESSIONS_S = 30  # when a full server may have room again: sessions end as people leave


def _problem(status: int, detail: Any, retry_after_s: float | None = None) -> JSONResponse:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after_s)))} if retry_after_s is not None else None
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _fields(field: str, message: str) -> list[dict[str, str]]:
    return [{"field": field, "message": message}]


def _request_field(loc: tuple[Any, ...]) -> str:
    names = [str(part) for part in loc if not isinstance(part, int)]
    return names[-1] if len(names) > 1 else (names[0] if names else "body")


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        field = _request_field(tuple(error.get("loc", ())))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        detail.append({"field": field, "message": f"{field}: {message}"})
    return _problem(422, detail)


def _config_error(exc: ConfigError) -> list[dict[str, Any]]:
    """A refused setting, with the layer of a stack it is about (the image lab's) when there is one."""
    layer = {} if exc.layer is None else {"layer": exc.layer}
    return [{"field": exc.field, **layer, "message": exc.message}]


HANDLERS: dict[type[Exception], Any] = {
    SessionNotFound: lambda exc: _problem(404, f"no session with id {exc.args[0]!r} (it may have expired)"),
    RoomNotFound: lambda exc: _problem(
        404, f"no room with code {exc.args[0]!r}; check the code and try again"
    ),
    TooManyWrongCodes: lambda exc: _problem(429, str(exc), exc.retry_after_s),
    NotTeacher: lambda exc: _problem(403, str(exc)),
    BadName: lambda exc: _problem(422, _fields("name", str(exc))),
    RoomFull: lambda exc: _problem(409, str(exc)),
    TooManySessions: lambda exc: _problem(429, str(exc), RETRY_SESSIONS_S),
    TooManyRooms: lambda exc: _problem(429, str(exc), RETRY_SESSIONS_S),
    LessonError: lambda exc: _problem(409, str(exc)),
    ChallengeRefused: lambda exc: _problem(422, _fields("dataset", str(exc))),
    ConfigError: lambda exc: _problem(422, _config_error(exc)),
    PointsError: lambda exc: _problem(422, _fields("file", str(exc))),
    SweepNotFound: lambda exc: _problem(404, f"no sweep with id {exc.args[0]!r} (it may have been deleted)"),
    TooManySweeps: lambda exc: _problem(429, str(exc), RETRY_SESSIONS_S),
    RunNotOpen: lambda exc: _problem(409, str(exc)),
    SavedRunNotFound: lambda exc: _problem(404, f"no saved run named {exc.args[0]!r}"),
    RunExists: lambda exc: _problem(409, str(exc)),
    RunNotReopened: lambda exc: _problem(409, str(exc)),
    BadRunName: lambda exc: _problem(422, _fields("name", str(exc))),
    ExportError: lambda exc: _problem(422, _fields("format", str(exc))),
    CompareError: lambda exc: _problem(422, _fields("runs", str(exc))),
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app` (HTTP routes; the websockets answer with error messages)."""
    for kind, make in HANDLERS.items():

        async def handler(request: Request, exc: Exception, make: Any = make) -> JSONResponse:
            return make(exc)  # type: ignore[no-any-return]

        app.add_exception_handler(kind, handler)
    app.add_exception_handler(RequestValidationError, _invalid_request)
