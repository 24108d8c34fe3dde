"""Every failure leaves as the JSON envelope with the right status; nothing unexpected leaks a traceback."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

import errors
from api.app import create_app
from guardrails.policy import Role
from memory.db import Database
from tests.integration.api.conftest import auth, make_settings

EXPECTED_STATUS = {
    errors.NotFoundError: 404,
    errors.ConfigError: 400,
    errors.DataError: 422,
    errors.ApprovalError: 409,
    errors.RiskRejected: 422,
    errors.DatabaseError: 503,
    errors.TemporaryBrokerError: 503,
    errors.PermanentBrokerError: 502,
    errors.QuantpilotError: 400,
}


def _app_with_failing_routes(database):
    """The real app plus one test route that raises whatever error class it is told to."""
    app = create_app(make_settings(), database=database)
    probe = APIRouter()

    @probe.get("/test-only/raise/{name}")
    async def raise_error(name: str) -> dict:
        if name == "unexpected":
            raise RuntimeError("secret internal detail at /srv/quantpilot/module.py line 42")
        cls = getattr(errors, name)
        raise cls(f"{name} about symbol ZZZZ", details={"symbol": "ZZZZ"})

    app.include_router(probe)
    return app


@pytest.mark.parametrize("cls", list(EXPECTED_STATUS), ids=lambda c: c.__name__)
def test_each_quantpilot_error_class_maps_to_its_status_in_the_envelope(database, cls):
    with TestClient(_app_with_failing_routes(database)) as client:
        response = client.get(f"/test-only/raise/{cls.__name__}")
    assert response.status_code == EXPECTED_STATUS[cls]
    assert response.json() == {"error": {"code": cls.code, "message": f"{cls.__name__} about symbol ZZZZ",
                                         "details": {"symbol": "ZZZZ"}}}


def test_an_unexpected_exception_is_a_logged_generic_500_without_internals(database, caplog):
    with caplog.at_level(logging.ERROR, logger="quantpilot.api"), \
            TestClient(_app_with_failing_routes(database), raise_server_exceptions=False) as client:
        response = client.get("/test-only/raise/unexpected")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error; it has been logged"}}
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


def test_an_unknown_symbol_is_404_naming_it(client, keys, loaded):
    response = client.get("/api/v1/data/bars/ZZZZ", headers=auth(keys[Role.VIEWER]))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and "ZZZZ" in error["message"]


def test_start_after_end_is_a_400_config_error(client, keys, loaded):
    response = client.get("/api/v1/data/bars/AAPL", params={"start": "2024-03-01", "end": "2024-02-01"},
                          headers=auth(keys[Role.VIEWER]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "config_error"


def test_a_load_rejected_by_the_provider_is_a_4xx_envelope(client, keys, loaded):
    response = client.post("/api/v1/data/load", json={"source": "bundled", "symbols": ["NOSUCHTICKER"]},
                           headers=auth(keys[Role.TRADER]))
    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) >= {"code", "message"}


def test_malformed_json_is_a_422_validation_error(client, keys):
    response = client.post("/api/v1/data/load", content=b'{"source": "bundled", "symbols": [',
                           headers={**auth(keys[Role.TRADER]), "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_a_wrong_field_type_is_a_422_naming_the_field(client, keys):
    response = client.post("/api/v1/data/load", json={"source": "bundled", "start": "not-a-date"},
                           headers=auth(keys[Role.TRADER]))
    assert response.status_code == 422
    assert "start" in response.json()["error"]["message"]
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["body", "start"]


def test_file_sources_are_refused_over_http(client, keys):
    response = client.post("/api/v1/data/load", json={"source": "csv", "symbols": ["AAPL"]},
                           headers=auth(keys[Role.TRADER]))
    assert response.status_code == 422


def test_unknown_paths_and_methods_use_the_envelope(client):
    missing = client.get("/api/v1/nothing-here")
    wrong_method = client.put("/health")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "method_not_allowed")


def test_ready_is_503_when_the_database_cannot_be_reached(database):
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", pool_pre_ping=False,
                           connect_args={"connect_timeout": 2})
    unreachable = Database(engine, sessionmaker(engine), "external")
    with TestClient(create_app(make_settings(), database=unreachable)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unreachable"


def test_api_routes_answer_503_not_500_when_the_database_is_down(database):
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2})
    unreachable = Database(engine, sessionmaker(engine), "external")
    with TestClient(create_app(make_settings(), database=unreachable), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/data/symbols", headers=auth("qp_0123456789ab_whatever"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "1"
