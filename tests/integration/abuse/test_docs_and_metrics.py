"""``/docs`` needs no network (Swagger UI's files come from the app); ``/metrics`` answers only its key when
``QUANTPILOT_API_METRICS_KEY`` is set, and everyone when it is not (the default)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.integration.abuse.conftest import make_settings


def _client(database, **settings) -> TestClient:
    from api.app import create_app

    return TestClient(create_app(make_settings(**settings), database=database), raise_server_exceptions=False)


def test_the_docs_page_loads_every_file_it_needs_from_the_app_itself(database):
    with _client(database) as client:
        page = client.get("/docs")
        loads = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
        fetched = {url: client.get(url) for url in loads}

    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert loads and all(url.startswith("/") for url in loads), loads  # nothing from another host
    assert {url: r.status_code for url, r in fetched.items()} == {url: 200 for url in loads}
    assert len(fetched["/docs/assets/swagger-ui-bundle.js"].content) > 500_000
    assert "paths" in fetched["/openapi.json"].json()


def test_metrics_are_open_by_default(database):
    with _client(database) as client:
        answer = client.get("/metrics")

    assert answer.status_code == 200 and "quantpilot_api_requests_total" in answer.text


def test_metrics_need_their_key_when_one_is_set(database):
    with _client(database, metrics_key="m3trics-s3cret") as client:
        missing = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = client.get("/metrics", headers={"Authorization": "Bearer m3trics-s3cret"})

    assert missing.status_code == wrong.status_code == 401
    assert "QUANTPILOT_API_METRICS_KEY" in missing.json()["error"]["message"]
    assert right.status_code == 200 and "quantpilot_api_requests_total" in right.text
