"""Execution: orders (outbox), order events, paper accounts/orders, fills, positions, trading state and
its transitions, risk limits and their proposals.

Revision ID: 0007
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(28, 10)
JSONB = postgresql.JSONB


def _now() -> sa.Column:
    return sa.func.now()


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(128), primary_key=True),
        sa.Column("intent", JSONB, nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False, index=True),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("strategy_id", sa.String(64), nullable=False, index=True),
        sa.Column("outbox_status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(24), nullable=False, server_default="new"),
        sa.Column("filled_qty", MONEY, nullable=False, server_default="0"),
        sa.Column("avg_fill_price", MONEY),
        sa.Column("broker_order_id", sa.String(128)),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200)),
        sa.Column("approval_id", sa.String(128)),
        sa.Column("created_at", TS, nullable=False, server_default=_now()),
        sa.Column("updated_at", TS, nullable=False, server_default=_now()),
    )
    op.create_index("ix_orders_outbox_status", "orders", ["outbox_status"])
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_order_id", sa.String(128), nullable=False, index=True),
        sa.Column("ts", TS, nullable=False, server_default=_now()),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(24), nullable=False),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("filled_qty", MONEY, nullable=False, server_default="0"),
        sa.Column("avg_fill_price", MONEY),
        sa.Column("broker_order_id", sa.String(128)),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "paper_accounts",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("starting_cash_usd", MONEY, nullable=False),
        sa.Column("cash_usd", MONEY, nullable=False),
        sa.Column("fees_paid_usd", MONEY, nullable=False, server_default="0"),
        sa.Column("realized_pnl_usd", MONEY, nullable=False, server_default="0"),
        sa.Column("next_order_no", sa.BigInteger, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False, server_default=_now()),
    )
    op.create_table(
        "paper_orders",
        sa.Column("client_order_id", sa.String(128), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False, index=True),
        sa.Column("broker_order_id", sa.String(128), nullable=False, unique=True),
        sa.Column("intent", JSONB, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("filled_qty", MONEY, nullable=False, server_default="0"),
        sa.Column("avg_fill_price", MONEY),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("last_bar_ts", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "fills",
        sa.Column("fill_id", sa.String(160), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False, index=True),
        sa.Column("client_order_id", sa.String(128), nullable=False, index=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("fee_usd", MONEY, nullable=False),
        sa.Column("ts", TS, nullable=False),
    )
    op.create_table(
        "positions",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("cost_usd", MONEY, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=_now()),
    )
    op.create_table(
        "trading_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("halt_id", sa.String(64)),
        sa.Column("flatten_client_order_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("reducing_session", sa.Date),
        sa.Column("engaged_by", sa.String(200)),
        sa.Column("peak_equity_usd", MONEY),
        sa.Column("day_start_equity_usd", MONEY),
        sa.Column("session", sa.Date),
        sa.Column("updated_at", TS, nullable=False, server_default=_now()),
    )
    op.create_table(
        "trading_state_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("approval_id", sa.String(128)),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
    )
    op.create_table(
        "risk_limits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("limits", JSONB, nullable=False),
        sa.Column("approval_id", sa.String(128)),
        sa.Column("updated_at", TS, nullable=False, server_default=_now()),
    )
    op.create_table(
        "risk_limit_proposals",
        sa.Column("proposal_id", sa.String(64), primary_key=True),
        sa.Column("current", JSONB, nullable=False),
        sa.Column("proposed", JSONB, nullable=False),
        sa.Column("changes", JSONB, nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("approval_id", sa.String(128), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("applied_at", TS),
    )


def downgrade() -> None:
    for table in ("risk_limit_proposals", "risk_limits", "trading_state_events", "trading_state", "positions",
                  "fills", "paper_orders", "paper_accounts", "order_events", "orders"):
        op.drop_table(table)
