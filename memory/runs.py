"""The research-run repository: create, finish, fail, fetch and list runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from errors import NotFoundError
from memory.db import Database

_COLUMNS = ("id, kind, status, strategy, symbols, params, config, config_hash, data_hash, code_version, "
            "metrics, summary, artifacts, error, parent_id, created_by, created_at, finished_at")


@dataclass(frozen=True)
class RunRecord:
    id: int
    kind: str
    status: str
    strategy: str | None
    symbols: list
    params: dict
    config: dict
    config_hash: str | None
    data_hash: str | None
    code_version: str | None
    metrics: dict
    summary: dict
    artifacts: dict
    error: str | None
    parent_id: int | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _json(value: Any) -> str:
    return json.dumps(value, default=str, allow_nan=False)


class RunStore:
    def __init__(self, database: Database):
        self.database = database

    def create(self, kind: str, *, strategy: str | None = None, symbols: list[str] | None = None,
               params: dict | None = None, config: dict | None = None, config_hash: str | None = None,
               data_hash: str | None = None, code_version: str | None = None, parent_id: int | None = None,
               created_by: str = "system") -> int:
        with self.database.engine.begin() as conn:
            return conn.execute(
                text("INSERT INTO research_runs (kind, strategy, symbols, params, config, config_hash, data_hash,"
                     " code_version, parent_id, created_by) VALUES (:kind, :strategy, CAST(:symbols AS jsonb),"
                     " CAST(:params AS jsonb), CAST(:config AS jsonb), :ch, :dh, :cv, :parent, :by) RETURNING id"),
                {"kind": kind, "strategy": strategy, "symbols": _json(symbols or []), "params": _json(params or {}),
                 "config": _json(config or {}), "ch": config_hash, "dh": data_hash, "cv": code_version,
                 "parent": parent_id, "by": created_by},
            ).scalar_one()

    def finish(self, run_id: int, *, metrics: dict, summary: dict | None = None, artifacts: dict | None = None,
               data_hash: str | None = None, config_hash: str | None = None) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(
                text("UPDATE research_runs SET status = 'done', metrics = CAST(:m AS jsonb),"
                     " summary = CAST(:s AS jsonb), artifacts = CAST(:a AS jsonb),"
                     " data_hash = coalesce(:dh, data_hash), config_hash = coalesce(:ch, config_hash),"
                     " finished_at = now() WHERE id = :id"),
                {"m": _json(metrics), "s": _json(summary or {}), "a": _json(artifacts or {}), "dh": data_hash,
                 "ch": config_hash, "id": run_id},
            )

    def fail(self, run_id: int, error: str) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(text("UPDATE research_runs SET status = 'failed', error = :e, finished_at = now()"
                              " WHERE id = :id"), {"e": error[:4000], "id": run_id})

    def get(self, run_id: int) -> RunRecord:
        with self.database.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM research_runs WHERE id = :id"), {"id": run_id}).first()
        if row is None:
            raise NotFoundError(f"no research run {run_id}")
        return RunRecord(*row)

    def list(self, *, kind: str | None = None, strategy: str | None = None, status: str | None = None,
             symbol: str | None = None, created_by: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Runs newest first, each filter applied when given (``symbol``: runs that included it)."""
        clauses, params = [], {"limit": limit}
        for column, value in (("kind", kind), ("strategy", strategy), ("status", status), ("created_by", created_by)):
            if value:
                clauses.append(f"{column} = :{column}")
                params[column] = value
        if symbol:
            clauses.append("symbols ? :symbol")
            params["symbol"] = symbol.upper()
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.database.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {_COLUMNS} FROM research_runs {where} ORDER BY id DESC LIMIT :limit"),
                                params).all()
        return [RunRecord(*row) for row in rows]
