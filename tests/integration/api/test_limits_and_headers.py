"""Body-size limit, security headers, CORS, health/ready/metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from guardrails.policy import Role
from tests.integration.api.conftest import auth, make_settings

MIB = 1024 * 1024


def test_a_body_over_one_mebibyte_is_413_before_authentication(client):
    response = client.post("/api/v1/data/load", content=b"x" * (MIB + 1), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.headers["x-frame-options"] == "DENY"


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(database, keys):
    app = create_app(make_settings(max_body_bytes=1000), database=database)

    def chunks():
        for _ in range(10):
            yield b'{"symbols": [' + b" " * 200

    with TestClient(app) as client:
        response = client.post("/api/v1/market-data/batch", content=chunks(),
                               headers={**auth(keys[Role.VIEWER]), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_body_at_the_limit_is_accepted(database, keys, loaded):
    app = create_app(make_settings(max_body_bytes=200), database=database)
    body = b'{"symbols": ["AAPL"]}'.ljust(200)
    with TestClient(app) as client:
        response = client.post("/api/v1/market-data/batch", content=body,
                               headers={**auth(keys[Role.VIEWER]), "Content-Type": "application/json"})
    assert response.status_code == 200


@pytest.mark.parametrize(("path", "authenticated"), [("/health", False), ("/api/v1/data/symbols", True),
                                                     ("/api/v1/data/symbols", False), ("/nowhere", False)])
def test_every_response_carries_the_security_headers(client, keys, path, authenticated):
    response = client.get(path, headers=auth(keys[Role.VIEWER]) if authenticated else {})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"


def test_the_docs_page_loads_swagger_from_this_origin_only_and_forbids_framing(client):
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "http" not in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_cors_is_off_unless_origins_are_configured(client):
    response = client.options("/api/v1/data/symbols", headers={"Origin": "https://evil.example",
                                                               "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in response.headers


def test_configured_origins_pass_the_preflight_and_others_do_not(database):
    app = create_app(make_settings(cors_origins=["https://ui.example"]), database=database)
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-API-Key"}
    with TestClient(app) as client:
        allowed = client.options("/api/v1/data/symbols", headers={"Origin": "https://ui.example", **preflight})
        refused = client.options("/api/v1/data/symbols", headers={"Origin": "https://evil.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://ui.example"
    assert refused.headers.get("access-control-allow-origin") != "https://evil.example"


def test_health_needs_no_key_and_ready_reports_the_database(client):
    assert client.get("/health").json()["status"] == "ok"
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_metrics_count_requests_per_route_template(client, keys, loaded):
    for _ in range(3):
        client.get("/api/v1/data/bars/AAPL", headers=auth(keys[Role.VIEWER]))
    text = client.get("/metrics").text
    line = next(ln for ln in text.splitlines() if ln.startswith("quantpilot_api_requests_total{")
                and 'route="/api/v1/data/bars/{symbol}"' in ln and 'status="200"' in ln)
    assert float(line.rsplit(" ", 1)[1]) >= 3
    assert "quantpilot_api_request_seconds_bucket" in text


def test_metrics_include_quantpilots_own_registry(client):
    from quant.monitoring.metrics import record_rejection

    record_rejection("api_metrics_probe")
    text = client.get("/metrics").text
    assert 'quantpilot_order_rejections_total{code="api_metrics_probe"}' in text
    assert "process_" in text or "python_gc" in text  # the default collectors are still served
