"""One typed configuration object for the whole product.

Read from the environment (prefix ``QUANTPILOT_``) and an optional ``.env`` file. Defaults are
the safe ones: paper trading, the offline planner, the embedded database, live trading off.
``DATABASE_URL`` (no prefix) is honoured as well as ``QUANTPILOT_DATABASE_URL``.
"""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TradingMode(StrEnum):
    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


class ModelProvider(StrEnum):
    OFFLINE = "offline"
    OPENAI = "openai"


class ModelPrice(BaseModel):
    """What a model's tokens cost, in US dollars per million tokens (input = prompt, output = completion)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_usd_per_1m: Decimal = Field(ge=0)
    output_usd_per_1m: Decimal = Field(ge=0)


def default_model_prices() -> dict[str, ModelPrice]:
    """List prices of the hosted models named in the docs; the offline planner is free."""
    table = {"offline-planner": ("0", "0"), "gpt-4o-mini": ("0.15", "0.60"), "gpt-4o": ("2.50", "10.00"),
             "gpt-4.1-mini": ("0.40", "1.60"), "gpt-4.1": ("2.00", "8.00")}
    return {name: ModelPrice(input_usd_per_1m=Decimal(i), output_usd_per_1m=Decimal(o))
            for name, (i, o) in table.items()}


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
    model_max_output_tokens: int = Field(default=512, ge=16, le=32_768,
                                         description="max_tokens sent with every model request")
    model_timeout_s: float = Field(default=60.0, gt=0, le=3600, description="one model request, seconds")
    model_max_retries: int = Field(default=1, ge=0, le=5, description="retries of a failed model request")
    model_stream: bool = Field(default=True, description="stream answers (falls back to one response when the "
                                                         "server cannot stream tool calls)")
    model_corrections: int = Field(default=2, ge=0, le=5,
                                   description="times per turn the model is told its tool call was malformed")
    model_prices: dict[str, ModelPrice] = Field(
        default_factory=default_model_prices,
        description="USD per 1M tokens by model name; a model served on this machine (loopback base URL) "
                    "without an entry costs local_model_price")
    local_model_price: ModelPrice = Field(
        default_factory=lambda: ModelPrice(input_usd_per_1m=Decimal(0), output_usd_per_1m=Decimal(0)))
    turn_max_usd: Decimal = Field(default=Decimal("0.50"), ge=0, description="model dollars per turn (0: no cap)")
    turn_max_tokens: int = Field(default=60_000, ge=0, description="model tokens per turn (0: no cap)")
    turn_max_tool_calls: int = Field(default=12, ge=1, le=200)
    alert_rate_limit: int = Field(default=10, ge=1, description="alerts delivered per alert_rate_window_s")
    alert_rate_window_s: int = Field(default=3600, ge=1)
    alert_dedupe_window_s: int = Field(default=600, ge=0,
                                       description="an identical alert within this window is a repeat")
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
    # -- abuse resistance: work budgets, job workers, per-user quotas (services/research/budget.py,
    #    services/research/jobs.py, services/quotas.py); sized for a 2-core / 24 GB machine
    research_max_cells: int = Field(
        default=50_000_000, ge=1, description="work budget of one backtest, grid, walk-forward or optimisation: "
        "parameter combinations x symbols x bars; larger requests are refused before anything runs")
    research_max_path_cells: int = Field(
        default=1_000_000_000, ge=1, description="work budget of one Monte Carlo: paths x bars of the source run")
    research_job_workers: int = Field(default=2, ge=1, description="research jobs run at once (API), each in "
                                      "its own worker process")
    research_job_memory_mb: int = Field(
        default=4096, ge=0, description="address space a research job's worker process may add to what it "
        "starts with (MiB; 0 = no limit); a job over it ends failed")
    research_job_timeout_s: float = Field(default=3600.0, gt=0, description="a job running longer ends failed")
    jobs_per_user: int = Field(default=20, ge=1, description="research jobs one user may have queued or "
                               "running at once (every interface together)")
    job_queue_size: int = Field(default=200, ge=1, description="research jobs queued at once, all users")
    chat_turns_per_user: int = Field(default=2, ge=1, description="chat turns (and MCP tool calls) one user "
                                     "may have running at once, every interface together")
    quota_retry_after_s: int = Field(default=10, ge=1, description="Retry-After of a refused chat turn")
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
        """numba's compiled kernels: one cache per venv (``<venv>/var/quantpilot/numba-cache``, shared by every
        home on it and filled when the venv is built: ``python -m api.kernel_cache``), else under the home when
        the interpreter's prefix is not writable. The machine code depends on the venv's numba, not the home."""
        shared = Path(sys.prefix) / "var" / "quantpilot" / "numba-cache"
        if sys.prefix != sys.base_prefix and os.access(sys.prefix, os.W_OK):
            return shared
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
            elif isinstance(value, Decimal):
                shown[name] = str(value)
            elif isinstance(value, ModelPrice):
                shown[name] = value.model_dump(mode="json")
            elif name == "model_prices":
                shown[name] = {k: v.model_dump(mode="json") for k, v in value.items()}
            else:
                shown[name] = value
        return shown


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
