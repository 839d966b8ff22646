"""Requests generated from the app's own OpenAPI spec: none may end in a server error, and
every answer must match the schema the spec declares for it.

The app runs in-process over ASGI on the seeded SQLite file, with an admin key, so each
route is exercised past the key check. Each operation gets a file of its own, so one that
changes state (revoking keys, correcting a sentiment) cannot spoil the next.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings
from sentiment.persona import PersonaClassifier, load_persona_classifier

# Read from the spec itself, so a route added later is covered without editing this file.
# Building the app opens nothing: the store is opened by its lifespan.
_SPEC = create_app(Settings()).openapi()
OPERATIONS = [(method.upper(), path) for path, item in _SPEC["paths"].items() for method in item]
# Invalid input needs an input to spoil: operations without parameters or a body have none.
WITH_INPUT = [(m, p) for m, p in OPERATIONS
              if {"parameters", "requestBody"} & _SPEC["paths"][p][m.lower()].keys()]
CASES = ([(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS]
         + [(m, p, GenerationMode.NEGATIVE) for m, p in WITH_INPUT])


@pytest.fixture()
def admin_key(db: Path) -> str:
    keys = KeyStore(db)
    try:
        return keys.create("admin", "schemathesis")
    finally:
        keys.close()


@pytest.fixture(scope="module")
def persona_classifier() -> PersonaClassifier:
    return load_persona_classifier()


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_generated_requests(request: pytest.FixtureRequest, db: Path, admin_key: str,
                            method: str, path: str, mode: GenerationMode) -> None:
    app = create_app(Settings(db=db))
    if path.startswith("/advocates"):
        # The real persona model, loaded once for the module rather than once per app.
        app.state.persona_classifier = request.getfixturevalue("persona_classifier")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    # derandomize: the same examples every run, so a failure here is never a fluke.
    @given(case=schema[path][method].as_strategy(mode))
    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"X-API-Key": admin_key},
                               checks=[schemathesis.checks.not_a_server_error,
                                       schemathesis.checks.response_schema_conformance])

    call()
