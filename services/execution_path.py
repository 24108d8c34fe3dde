"""The one way every interface gets the execution path: the broker the settings name, behind ExecutionService.

Paper mode (the default) uses the paper broker on Postgres, in one paper account (``account``, default
``settings.paper_account``) on that account's market clock (``services.market_clock``: a simulated market over
stored bars offline, real time where live data exists); live mode uses Alpaca live, which ExecutionService
refuses unless ``QUANTPILOT_LIVE_TRADING=true`` (and each order still needs its live approval). Backtests never
come here: they use the simulated broker inside quant/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from config import Settings, TradingMode, get_settings
from errors import ApprovalError, ConfigError
from memory.db import Database
from memory.paper_broker import PaperBroker
from services.execution import ExecutionService
from services.market_clock import MarketClockService, utc_now
from services.paper_accounts import account_id


def execution_service(database: Database, settings: Settings | None = None, *, account: str | None = None,
                      clock: Callable[[], datetime] | None = None) -> ExecutionService:
    """ExecutionService over the configured broker (each operation names its actor and channel); ``clock``
    replaces the account's market clock (tests, replays)."""
    settings = settings or get_settings()
    if settings.trading_mode is TradingMode.LIVE:
        if not (settings.alpaca_api_key and settings.alpaca_secret_key):
            raise ConfigError("live trading needs QUANTPILOT_ALPACA_API_KEY and QUANTPILOT_ALPACA_SECRET_KEY")
        from quant.execution.alpaca import AlpacaBroker

        if not settings.live_trading:
            raise ApprovalError("live mode refused: QUANTPILOT_LIVE_TRADING is not true", code="live_disabled")
        # the broker-level lock opens only with live trading enabled; each order's live approval is
        # checked by ExecutionService's gate before the broker is called
        broker = AlpacaBroker(settings.alpaca_api_key.get_secret_value(),
                              settings.alpaca_secret_key.get_secret_value(), paper=False,
                              live_enabled=True, live_approval_token="execution-gate")
        return ExecutionService(database, broker, settings=settings, **({"clock": clock} if clock else {}))
    name = account_id(account, settings)
    if clock is not None:
        return ExecutionService(database, PaperBroker(database, clock=clock, account_id=name), settings=settings,
                                clock=clock)
    market = MarketClockService(database, settings).market_clock(name)
    return ExecutionService(database, PaperBroker(database, clock=market, account_id=name), settings=settings,
                            clock=market, record_clock=utc_now)
