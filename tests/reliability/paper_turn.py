"""What the crash and recovery tests check after a paper-order turn: rows counted straight from the tables."""

from __future__ import annotations

from sqlalchemy import text


def count_rows(database, table: str, where: str = "true", **params) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one()


def one_order_and_the_thread_finished(database, thread_id: str) -> None:
    from memory.strategies import StrategyRegistry

    assert count_rows(database, "paper_orders") == 1, "exactly one order at the broker"
    assert count_rows(database, "orders") == 1, "exactly one order in our ledger"
    assert count_rows(database, "fills") == 1, "filled once"
    with database.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM orders")).scalar_one()
    assert status == "filled"
    assert StrategyRegistry(database).get("sma_aapl").stage == "paper"
    assert count_rows(database, "approval_requests", "status = 'applied'") == 1

