"""Requests generated from the app's own OpenAPI spec: none may end in a server error, and
every answer must match the schema the spec declares for it.

The app runs in-process over ASGI on the seeded SQLite file, with an admin key, so each
route is exercised past the key check. Each operation gets a file of its own, so one that
changes state (revoking keys, correcting a sentiment) cannot spoil the next.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings

# Read from the spec itself, so a route added later is covered without editing this file.
# Building the app opens nothing: the store is opened by its lifespan.
_SPEC = create_app(Settings()).openapi()
OPERATIONS = [(method.upper(), path) for path, item in _SPEC["paths"].items() for method in item]
# Invalid input needs an input to spoil: operations without parameters or a body have none.
WITH_INPUT = [(m, p) for m, p in OPERATIONS
              if {"parameters", "requestBody"} & _SPEC["paths"][p][m.lower()].keys()]
CASES = ([(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS]
         + [(m, p, GenerationMode.NEGATIVE) for m, p in WITH_INPUT])

# The spec's own generators write RFC 3339 date-times with an offset, in plausible years, and
# short free text: these reach what they miss (a naive bound beside an aware one, Unix
# seconds, the first and last days datetime holds, long or odd zone names, date filters).
_EDGE_DATES = st.sampled_from([date.min, date(1, 1, 2), date(9999, 12, 30), date.max])
_DATES = st.one_of(_EDGE_DATES, st.dates()).map(date.isoformat)
_EDGE_MOMENTS = st.sampled_from([datetime.min, datetime.max])
_MOMENTS = st.one_of(
    _EDGE_MOMENTS.map(datetime.isoformat),  # naive
    st.tuples(_EDGE_MOMENTS, st.sampled_from(["Z", "+14:00", "-14:00"])).map(
        lambda pair: pair[0].isoformat() + pair[1]),
    st.datetimes().map(datetime.isoformat),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    _DATES,
    st.integers(int(datetime.min.replace(tzinfo=UTC).timestamp()),
                int(datetime.max.replace(tzinfo=UTC).timestamp())).map(str),  # Unix seconds
)
_ZONES = st.one_of(
    st.sampled_from(sorted(available_timezones())),
    st.sampled_from(["", "America", "../../etc/passwd", "A" * 300]),
    st.text(max_size=300),
)
_QUERIES = st.tuples(st.sampled_from(["", "battery "]), _DATES | st.just(""),
                     st.sampled_from(["", ".."]), _DATES | st.just("")).map(
    lambda parts: f"{parts[0]}published:{parts[1]}{parts[2]}{parts[3]}")
HOSTILE: dict[str, st.SearchStrategy[str]] = {
    "since": _MOMENTS, "until": _MOMENTS, "baseline_since": _MOMENTS, "tz": _ZONES,
    "q": _QUERIES,
}


def flatmap_query(context: schemathesis.HookContext,
                  query: dict[str, Any] | None) -> st.SearchStrategy[dict[str, Any] | None]:
    """The generated query with some of the parameters above, where the operation has them,
    swapped for hostile values."""
    declared = {p.name for p in context.operation.query} if context.operation else set()
    hostile = {name: values for name, values in HOSTILE.items() if name in declared}
    if not hostile:
        return st.just(query)
    return st.fixed_dictionaries({}, optional=hostile).map(
        lambda swapped: {**(query or {}), **swapped})


@pytest.fixture()
def admin_key(db: Path) -> str:
    keys = KeyStore(db)
    try:
        return keys.create("admin", "schemathesis")
    finally:
        keys.close()


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_generated_requests(db: Path, admin_key: str,
                            method: str, path: str, mode: GenerationMode) -> None:
    app = create_app(Settings(db=db))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.hook(flatmap_query)

    # derandomize: the same examples every run, so a failure here is never a fluke.
    @given(case=schema[path][method].as_strategy(mode))
    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"X-API-Key": admin_key},
                               checks=[schemathesis.checks.not_a_server_error,
                                       schemathesis.checks.response_schema_conformance])

    call()
