"""Paper accounts are separate books: orders name their account, the trading state has a scope (the global kill
switch, or one account's breakers and equity marks), and each paper account has a market clock (stepping
through the distinct session timestamps of stored bars, hence the index on bars (timeframe, ts)).

A breaker halt (or reducing-only state) stored before accounts existed belonged to the one book, the default
account ``paper``: it moves there, and the global state (the kill switch) becomes active unless the kill switch
itself had halted trading. Both moves are recorded as transitions by ``migration``.

Revision ID: 0030
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
DEFAULT_ACCOUNT = "paper"

# the last transition into the stored status, when a breaker made it
_BREAKER_STATE = """
    SELECT s.status, s.halt_id, s.reducing_session, e.reason
    FROM trading_state s
    JOIN LATERAL (SELECT reason, to_status FROM trading_state_events WHERE scope = 'global'
                  ORDER BY seq DESC LIMIT 1) e ON e.to_status = s.status
    WHERE s.scope = 'global' AND s.status <> 'active'
      AND (e.reason LIKE 'drawdown breaker%' OR e.reason LIKE 'daily-loss breaker%')
"""


def upgrade() -> None:
    op.add_column("orders", sa.Column("account_id", sa.String(64), nullable=False, server_default=DEFAULT_ACCOUNT))
    op.execute("UPDATE orders o SET account_id = p.account_id FROM paper_orders p "
               "WHERE p.client_order_id = o.client_order_id")
    op.execute("UPDATE orders SET account_id = 'live' WHERE mode = 'live'")
    op.create_index("ix_orders_account_status", "orders", ["account_id", "status"])

    op.add_column("trading_state", sa.Column("scope", sa.String(80), nullable=False, server_default="global"))
    op.drop_constraint("trading_state_pkey", "trading_state", type_="primary")
    op.drop_column("trading_state", "id")
    op.create_primary_key("trading_state_pkey", "trading_state", ["scope"])
    op.add_column("trading_state_events",
                  sa.Column("scope", sa.String(80), nullable=False, server_default="global"))
    op.drop_constraint("trading_state_events_pkey", "trading_state_events", type_="primary")
    op.create_primary_key("trading_state_events_pkey", "trading_state_events", ["scope", "seq"])
    _move_the_one_book_to_the_default_account()

    op.create_table(
        "market_clocks",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),  # simulated | real
        sa.Column("now_ts", TS),  # the simulated market's now; NULL on real time
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    # a simulated clock steps through the distinct session timestamps of stored bars
    op.create_index("ix_bars_timeframe_ts", "bars", ["timeframe", "ts"])


def _move_the_one_book_to_the_default_account() -> None:
    scope = f"account:{DEFAULT_ACCOUNT}"
    op.execute(f"""
        INSERT INTO trading_state (scope, status, halt_id, flatten_client_order_ids, reducing_session,
                                   peak_equity_usd, day_start_equity_usd, session, updated_at)
        SELECT '{scope}', coalesce(b.status, 'active'), b.halt_id, '[]'::jsonb, b.reducing_session,
               s.peak_equity_usd, s.day_start_equity_usd, s.session, now()
        FROM trading_state s LEFT JOIN ({_BREAKER_STATE}) b ON true
        WHERE s.scope = 'global'
    """)
    op.execute(f"""
        INSERT INTO trading_state_events (scope, seq, from_status, to_status, reason, ts, actor, channel)
        SELECT '{scope}', 1, 'active', b.status,
               b.reason || ' (moved from the one book when paper accounts became separate books)', now(),
               'migration', 'system'
        FROM ({_BREAKER_STATE}) b
    """)
    op.execute(f"""
        INSERT INTO trading_state_events (scope, seq, from_status, to_status, reason, ts, actor, channel)
        SELECT 'global', (SELECT coalesce(max(seq), 0) + 1 FROM trading_state_events WHERE scope = 'global'),
               b.status, 'active', 'the breaker state moved to account {DEFAULT_ACCOUNT}: paper accounts are '
               'separate books and only the kill switch is global', now(), 'migration', 'system'
        FROM ({_BREAKER_STATE}) b
    """)
    op.execute("""
        UPDATE trading_state SET status = 'active', halt_id = NULL, reducing_session = NULL,
                                 flatten_client_order_ids = '[]'::jsonb, updated_at = now()
        WHERE scope = 'global' AND EXISTS (SELECT 1 FROM trading_state_events
                                           WHERE scope = 'global' AND actor = 'migration')
    """)


def downgrade() -> None:
    op.drop_index("ix_bars_timeframe_ts", "bars")
    op.drop_table("market_clocks")
    op.execute("DELETE FROM trading_state_events WHERE scope <> 'global'")
    op.execute("DELETE FROM trading_state WHERE scope <> 'global'")
    op.drop_constraint("trading_state_events_pkey", "trading_state_events", type_="primary")
    op.drop_column("trading_state_events", "scope")
    op.create_primary_key("trading_state_events_pkey", "trading_state_events", ["seq"])
    op.drop_constraint("trading_state_pkey", "trading_state", type_="primary")
    op.add_column("trading_state", sa.Column("id", sa.Integer, nullable=False, server_default="1"))
    op.drop_column("trading_state", "scope")
    op.create_primary_key("trading_state_pkey", "trading_state", ["id"])
    op.drop_index("ix_orders_account_status", "orders")
    op.drop_column("orders", "account_id")
