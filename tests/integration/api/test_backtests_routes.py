"""Research runs over HTTP are the records of memory.runs.RunStore."""

from __future__ import annotations

from api.schemas.runs import RunListPublic, RunPublic
from guardrails.policy import Role
from memory.runs import RunStore
from tests.integration.api.conftest import auth


def _runs(database) -> tuple[int, int]:
    store = RunStore(database)
    first = store.create("backtest", strategy="sma_cross", symbols=["AAPL"], params={"fast": 10, "slow": 50},
                         created_by="alice")
    store.finish(first, metrics={"sharpe": 1.25, "trades": 12}, artifacts={"report": "r.html"})
    second = store.create("grid", strategy="rsi", symbols=["MSFT"])
    return first, second


def test_runs_are_listed_newest_first_and_filterable_by_kind(client, keys, database):
    first, second = _runs(database)
    viewer = auth(keys[Role.VIEWER])
    every = RunListPublic.model_validate(client.get("/api/v1/backtests", headers=viewer).json())
    grids = RunListPublic.model_validate(client.get("/api/v1/backtests", params={"kind": "grid"},
                                                    headers=viewer).json())
    assert [r.id for r in every.runs] == [second, first]
    assert [r.id for r in grids.runs] == [second]


def test_one_run_has_its_metrics_params_and_artifacts(client, keys, database):
    first, _ = _runs(database)
    body = RunPublic.model_validate(client.get(f"/api/v1/backtests/{first}", headers=auth(keys[Role.VIEWER])).json())
    assert (body.status, body.metrics, body.params) == ("done", {"sharpe": 1.25, "trades": 12},
                                                        {"fast": 10, "slow": 50})
    assert body.artifacts == {"report": "r.html"} and body.created_by == "alice"
    alias = client.get(f"/api/v1/backtest/{first}/results", headers=auth(keys[Role.VIEWER])).json()
    assert alias == client.get(f"/api/v1/backtests/{first}", headers=auth(keys[Role.VIEWER])).json()


def test_an_unknown_run_is_404(client, keys, database):
    response = client.get("/api/v1/backtests/999", headers=auth(keys[Role.VIEWER]))
    assert response.status_code == 404 and "999" in response.json()["error"]["message"]


def test_a_non_numeric_run_id_is_422(client, keys):
    assert client.get("/api/v1/backtests/abc", headers=auth(keys[Role.VIEWER])).status_code == 422
