"""One typed configuration object for the whole product.

Read from the environment (prefix ``QUANTPILOT_``) and an optional ``.env`` file. Defaults are
the safe ones: paper trading, the offline planner, the embedded database, live trading off.
``DATABASE_URL`` (no prefix) is honoured as well as ``QUANTPILOT_DATABASE_URL``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TradingMode(StrEnum):
    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


class ModelProvider(StrEnum):
    OFFLINE = "offline"
    OPENAI = "openai"


def default_home() -> Path:
    """Where quantpilot keeps its database, caches and artifacts (``~/.local/share/quantpilot``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "quantpilot"


class Settings(BaseSettings):
    """Every setting of quantpilot, typed; secrets are ``SecretStr`` and never printed."""

    model_config = SettingsConfigDict(
        env_prefix="QUANTPILOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(default_factory=default_home, description="data directory root")
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("QUANTPILOT_DATABASE_URL", "DATABASE_URL"),
        description="external Postgres 15+ with pgvector; unset = embedded server",
    )
    trading_mode: TradingMode = TradingMode.PAPER
    paper_account: str = Field(default="paper", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
                               description="the paper account every interface trades in unless told another")
    live_trading: bool = Field(default=False, description="must be true before any live order")
    allow_self_approval: bool = Field(
        default=False, description="let a requester decide their own approval requests (a single-user install's "
        "explicit choice; every decision it affects says so in the audit log). Off: someone else must decide")
    model_provider: ModelProvider = ModelProvider.OFFLINE
    model_name: str = "gpt-4o-mini"
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    alpaca_api_key: SecretStr | None = None
    alpaca_secret_key: SecretStr | None = None
    alpaca_paper: bool = True
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None
    data_sources: list[str] = Field(
        default_factory=lambda: ["yfinance", "alpaca", "bundled"],
        description="fallback chain of market-data providers, first that serves wins",
    )
    db_keep_running: bool = Field(
        default=False,
        description="leave the embedded server running when the process exits (the CLI's default; "
        "`quantpilot db stop` stops it)",
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster for `--executor ray` (e.g. ray://head:10001); unset = a local cluster per run",
    )
    stale_after_days: int = Field(default=5, ge=1, description="bars older than this are stale")
    log_level: str = "INFO"

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def pgdata(self) -> Path:
        """Data directory of the embedded Postgres server."""
        return self.home / "pgdata"

    @property
    def numba_cache_dir(self) -> Path:
        return self.home / "numba-cache"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    def redacted(self) -> dict[str, object]:
        """The settings as plain values with every secret replaced by ``'**********'`` (or None)."""
        shown: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[name] = "**********"
            elif isinstance(value, Path):
                shown[name] = str(value)
            elif isinstance(value, StrEnum):
                shown[name] = value.value
            else:
                shown[name] = value
        return shown


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
