"""Every operation of the published OpenAPI, fuzzed with an API key of a fresh organization.

Fails on any 5xx, on a response body that breaks its documented schema and on an undocumented
content type. The operations are read from the app itself, so new routes are covered as they come.
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import create_engine

from tarif.api.app import create_app
from tarif.config import Settings
from tests.conftest import Tenant

# Only the document is read from this app; requests go to the test's own app and database.
_DOCUMENT_ONLY = create_app(
    Settings(
        database_url="sqlite://",
        host="127.0.0.1",
        port=8000,
        secret_key="openapi-only",
        secure_cookies=False,
    ),
    engine=create_engine("sqlite://"),
)
schema = schemathesis.openapi.from_dict(_DOCUMENT_ONLY.openapi())

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@schema.parametrize()
@settings(
    max_examples=20,  # per operation, on top of schemathesis' own examples and boundary cases
    derandomize=True,  # the same cases on every run, so a failure is reproducible
    deadline=None,
    database=None,
    # One organization serves all the examples of an operation: that is the point.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, app: FastAPI, tenant: Tenant) -> None:
    case.call_and_validate(app=app, headers=tenant.headers, checks=CHECKS)
