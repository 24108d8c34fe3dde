"""Clean input everywhere: every POST route of the app (enumerated from it, so a new route is covered at once)
refuses a NUL or a bidirectional override in any text field with a 4xx naming the field and changes no table;
bad symbols in a CSV are refused naming the line; a database error never carries its parameters."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from guardrails.policy import Role
from tests.integration.abuse.conftest import auth, make_settings
from tests.reliability.table_digest import changed_tables, table_digests
from tests.support.people import SYSTEM

BAD = {"nul": "\x00", "bidi_override": "\u202e"}


def _app(database):
    from api.app import create_app
    from memory.checkpoint import postgres_checkpointer

    postgres_checkpointer(database)  # the graph's tables exist before the first digest, as in a running app
    return create_app(make_settings(), database=database)


def _example(schema: dict, components: dict) -> Any:
    """A value for ``schema``: its example when it has one, else one built from its properties."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            return _example(next(s for s in schema[union] if s.get("type") != "null"), components)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _example(v, components) for k, v in props.items() if k in schema.get("required", props)}
    if kind == "array":
        return [_example(schema.get("items", {}), components)]
    return {"integer": 1, "number": 1.0, "boolean": True}.get(kind, "text")


def _text_fields(value: Any, where: tuple = ()) -> list[tuple]:
    """Paths of every string in ``value`` (dict keys and list indexes)."""
    if isinstance(value, str):
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _text_fields(v, (*where, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _text_fields(v, (*where, i))]
    return []


def _with(value: Any, path: tuple, bad: str) -> Any:
    changed = copy.deepcopy(value)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = f"ok{bad}ok"
    return changed


def post_routes(routes, prefix: str = "") -> list[str]:
    """Paths of every POST route reachable in ``routes``, included routers walked (FastAPI keeps them nested,
    each with the prefix it was included under)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += post_routes(included.routes, prefix + (getattr(route.include_context, "prefix", "") or ""))
        elif isinstance(route, APIRoute) and "POST" in route.methods:
            found.append(prefix + route.path)
    return found


def _post_cases(app) -> list[tuple[str, str, Any, str]]:
    """(route path, field path, body, content kind) for every text field of every POST route."""
    document, cases = app.openapi(), []
    components = document.get("components", {}).get("schemas", {})
    for route_path in post_routes(app.routes):
        path = route_path.replace("{", "").replace("}", "")  # path params become plain words
        operation = document["paths"].get(route_path, {}).get("post")
        content = (operation or {}).get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = _example(content["application/json"]["schema"], components)
            fields = _text_fields(body) or [("__any__",)]
            cases += [(path, ".".join(map(str, f)), body, "json") for f in fields]
        else:  # form routes (web pages, Slack): any form field
            cases.append((path, "message", {"message": "hello"}, "form"))
    return cases


def test_every_post_route_is_enumerated_with_its_text_fields(database):
    cases = _post_cases(_app(database))
    routes = {c[0] for c in cases}
    assert len(routes) >= 40, sorted(routes)
    assert {"/api/v1/threads/thread_id/runs", "/web/chat/stream", "/v1/chat/completions", "/slack/events"} <= routes
    fields = {(c[0], c[1]) for c in cases}
    assert {("/api/v1/strategies", "name"), ("/api/v1/threads/thread_id/runs", "message")} <= fields, sorted(fields)


@pytest.mark.parametrize("bad", sorted(BAD))
def test_nul_or_bidi_in_any_text_field_of_any_post_route_is_a_4xx_naming_the_field_and_changes_nothing(
        database, loaded, keys, bad):
    app = _app(database)
    cases = _post_cases(app)
    before = table_digests(database)
    refused: list[tuple[str, str, int, str]] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, field, body, kind in cases:
            headers = auth(keys[Role.ADMIN])
            if kind == "json":
                sent = _with(body, tuple(int(p) if p.isdigit() else p for p in field.split(".")), BAD[bad]) \
                    if field != "__any__" else {**(body if isinstance(body, dict) else {}), "note": f"x{BAD[bad]}"}
                answer = client.post(path, json=sent, headers=headers)
            else:
                answer = client.post(path, data={field: f"hi{BAD[bad]}"}, headers=headers)
            refused.append((path, field, answer.status_code, answer.text))

    wrong = [(p, f, s, t[:200]) for p, f, s, t in refused if not 400 <= s < 500]
    assert wrong == []
    unnamed = [(p, f) for p, f, s, t in refused if field_named(f, t) is False]
    assert unnamed == []
    assert changed_tables(before, table_digests(database)) == []


def field_named(field: str, answer: str) -> bool:
    return field == "__any__" or field.split(".")[-1] in answer


def test_the_refusal_names_the_nested_field_and_the_character(database, keys):
    with TestClient(_app(database), raise_server_exceptions=False) as client:
        answer = client.post("/api/v1/strategies", headers=auth(keys[Role.TRADER]), json={
            "id": "sma_x", "kind": "sma_crossover", "name": "nice\u202eeman", "params": {"fast": 5, "slow": 20}})

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_characters"
    assert error["details"] == {"field": "body.name", "character": "U+202E"}
    assert "bidirectional" in error["message"]


def test_bad_symbols_in_a_csv_are_refused_naming_the_line_and_nothing_is_stored(database, tmp_path):
    from errors import DataError
    from services.market_data import MarketDataService

    days = pd.bdate_range("2024-01-02", periods=6).strftime("%Y-%m-%d")
    symbols = ["AAPL", "AAPL", "<b>HTML</b>", "DROP TABLE x", "AA\u202ePL", "A" * 33]
    path = tmp_path / "bars.csv"
    pd.DataFrame({"symbol": symbols, "date": days, "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5,
                  "volume": 100}).to_csv(path, index=False)
    before = table_digests(database)

    with pytest.raises(DataError) as refused:
        MarketDataService(database, actor=SYSTEM).load("csv", path=path)

    message = str(refused.value)
    for line in (4, 5, 6, 7):
        assert f"line {line} " in message, message
    assert "bad_symbol" in message and "\u202e" not in message  # the override is shown escaped
    assert changed_tables(before, table_digests(database)) == []


def test_the_cli_refuses_a_bad_fixed_symbol_for_a_file_with_exit_2(database, tmp_path, act_as):
    from tests.integration.cli_runner import run_cli

    act_as("trader")
    path = tmp_path / "bars.csv"
    pd.DataFrame({"date": pd.bdate_range("2024-01-02", periods=5).strftime("%Y-%m-%d"), "close": 10.0}).to_csv(
        path, index=False)

    result = run_cli("data", "load", "--source", "csv", "--symbols", "X" * 33, str(path))

    assert result.exit_code == 2, result.stdout + result.stderr
    assert "not a ticker symbol" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_refused_database_value_is_a_typed_error_without_its_parameters(database, caplog):
    from sqlalchemy import text

    from errors import DataError

    with pytest.raises(DataError) as refused, database.engine.begin() as conn:
        conn.execute(text("SELECT CAST(:v AS integer)"), {"v": "password=hunter2 xoxb-1234567890-abcdef"})

    assert refused.value.code == "invalid_value"
    assert "hunter2" not in str(refused.value) and "xoxb" not in str(refused.value)
    assert all("hunter2" not in r.getMessage() for r in caplog.records)


def test_a_control_character_in_a_query_string_is_refused_naming_the_parameter(database, keys):
    with TestClient(_app(database), raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/backtests?strategy=sma%00x", headers=auth(keys[Role.VIEWER]))
        plain = client.get("/api/v1/backtests?strategy=sma_crossover", headers=auth(keys[Role.VIEWER]))

    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"field": "query.strategy", "character": "U+0000"}
    assert plain.status_code == 200
