"""Execution tables: our order outbox/OMS view and its events, the paper broker's book (accounts, orders,
fills, positions), the durable trading state with its transitions (one scope for the global kill switch, one per
paper account for its breakers), the market clock of each paper account, and the risk limits with proposals.

Money and quantities are ``Numeric`` (exact ``Decimal``): dollars and shares.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base

MONEY = Numeric(28, 10)
TS = DateTime(timezone=True)


class OrderRow(Base):
    """One intent in the outbox and the last known broker order (our side of every order)."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_outbox_status", "outbox_status"), Index("ix_orders_status", "status"),
                      Index("ix_orders_account_status", "account_id", "status"))

    client_order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), default="paper")
    intent: Mapped[dict] = mapped_column(JSONB)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[Decimal] = mapped_column(MONEY)
    strategy_id: Mapped[str] = mapped_column(String(64), index=True)
    outbox_status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(24), default="new")
    filled_qty: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    avg_fill_price: Mapped[Decimal | None] = mapped_column(MONEY)
    broker_order_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    approval_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class OrderEventRow(Base):
    """One recorded change of an order (outbox step or broker status)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(128), index=True)
    ts: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    kind: Mapped[str] = mapped_column(String(16))  # outbox | order
    from_status: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    filled_qty: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    avg_fill_price: Mapped[Decimal | None] = mapped_column(MONEY)
    broker_order_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")


class PaperAccountRow(Base):
    """The paper broker's cash ledger: dollars; ``fees_paid_usd`` and ``realized_pnl_usd`` are running totals."""

    __tablename__ = "paper_accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    starting_cash_usd: Mapped[Decimal] = mapped_column(MONEY)
    cash_usd: Mapped[Decimal] = mapped_column(MONEY)
    fees_paid_usd: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    realized_pnl_usd: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    next_order_no: Mapped[int] = mapped_column(BigInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class PaperOrderRow(Base):
    """An order as the paper broker holds it; ``last_bar_ts`` = the newest bar it was matched against."""

    __tablename__ = "paper_orders"

    client_order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    broker_order_id: Mapped[str] = mapped_column(String(128), unique=True)
    intent: Mapped[dict] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(24))
    filled_qty: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    avg_fill_price: Mapped[Decimal | None] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text, default="")
    last_bar_ts: Mapped[datetime | None] = mapped_column(TS)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)


class FillRow(Base):
    """One execution at the paper broker: shares at a price in dollars, fee in dollars."""

    __tablename__ = "fills"

    fill_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    client_order_id: Mapped[str] = mapped_column(String(128), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[Decimal] = mapped_column(MONEY)
    price: Mapped[Decimal] = mapped_column(MONEY)
    fee_usd: Mapped[Decimal] = mapped_column(MONEY)
    ts: Mapped[datetime] = mapped_column(TS)


class PositionRow(Base):
    """Signed shares of one symbol and their signed cost basis in dollars (avg entry = cost / qty)."""

    __tablename__ = "positions"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(MONEY)
    cost_usd: Mapped[Decimal] = mapped_column(MONEY)
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class TradingStateRow(Base):
    """The current trading state of one scope: ``global`` (the kill switch) or ``account:<id>`` (that paper
    account's breakers, with the equity marks they read, dollars)."""

    __tablename__ = "trading_state"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    halt_id: Mapped[str | None] = mapped_column(String(64))
    flatten_client_order_ids: Mapped[list] = mapped_column(JSONB, default=list)
    reducing_session: Mapped[date | None] = mapped_column(Date)
    engaged_by: Mapped[str | None] = mapped_column(String(200))
    peak_equity_usd: Mapped[Decimal | None] = mapped_column(MONEY)
    day_start_equity_usd: Mapped[Decimal | None] = mapped_column(MONEY)
    session: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class TradingStateEventRow(Base):
    """One recorded trading-state transition of a scope, in order (``seq`` = position in ``TradingState.events``)."""

    __tablename__ = "trading_state_events"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(TS)
    approval_id: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))


class MarketClockRow(Base):
    """The market clock of one paper account: ``simulated`` (``now_ts`` moves through stored bars) or ``real``."""

    __tablename__ = "market_clocks"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    now_ts: Mapped[datetime | None] = mapped_column(TS)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class RiskLimitsRow(Base):
    """The risk limits in force (one row, id 1) and the approval that set them."""

    __tablename__ = "risk_limits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    limits: Mapped[dict] = mapped_column(JSONB)
    approval_id: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class RiskLimitProposalRow(Base):
    """A requested change of risk limits; applied only through an approval of kind ``risk_limit``."""

    __tablename__ = "risk_limit_proposals"

    proposal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    current: Mapped[dict] = mapped_column(JSONB)
    proposed: Mapped[dict] = mapped_column(JSONB)
    changes: Mapped[dict] = mapped_column(JSONB)
    requested_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    approval_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(TS)
    applied_at: Mapped[datetime | None] = mapped_column(TS)
