"""One typed configuration object for the whole product.

Read from the environment (prefix ``QUANTPILOT_``) and an optional ``.env`` file. Defaults are
the safe ones: paper trading, the offline planner, the embedded database, live trading off.
``DATABASE_URL`` (no prefix) is honoured as well as ``QUANTPILOT_DATABASE_URL``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator

from errors import ConfigError


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


def _complex(annotation: Any) -> bool:
    """Whether a field's value is given as JSON in the environment (lists, dicts, models), as pydantic-settings
    decides it."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_complex(arm) for arm in get_args(annotation) if arm is not type(None))
    target = origin or annotation
    return isinstance(target, type) and issubclass(target, list | dict | set | frozenset | tuple | BaseModel)


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, dicts merged key by key (pydantic-settings' ``deep_update``)."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


class EnvSettings(BaseModel):
    """Settings read from the environment and a ``.env`` file, as pydantic-settings' ``BaseSettings`` reads them
    (whose import costs every command ~50 ms): keyword arguments win over ``<env_prefix><FIELD>`` variables (any
    case; a field with a ``validation_alias`` is read from those names, without the prefix), which win over the
    same names in ``env_file`` (in the working directory; ``_env_file=None`` skips it), which win over defaults.
    List, dict and model fields are given as JSON."""

    model_config = ConfigDict(extra="ignore", validate_default=True, validate_by_name=True, validate_by_alias=True)
    env_prefix: ClassVar[str] = ""
    env_file: ClassVar[str | None] = ".env"

    def __init__(self, _env_file: str | Path | None = "", **values: Any) -> None:
        env_file = type(self).env_file if _env_file == "" else _env_file
        found = self._read(_dotenv(env_file)) if env_file else {}
        super().__init__(**_merged(_merged(found, self._read(os.environ)), values))

    @classmethod
    def _read(cls, source: Mapping[str, str | None]) -> dict[str, Any]:
        """The fields ``source`` (variable name -> text) sets, by field name; JSON fields decoded."""
        lowered = {key.lower(): value for key, value in source.items() if value is not None}
        found: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            names = ([c for c in alias.choices if isinstance(c, str)] if isinstance(alias, AliasChoices)
                     else [alias] if isinstance(alias, str) else [cls.env_prefix + name])
            key = next((n.lower() for n in names if n.lower() in lowered), None)
            if key is None:
                continue
            text = lowered[key]
            if _complex(field.annotation):
                try:
                    found[name] = json.loads(text)
                except ValueError as exc:
                    raise ConfigError(f"{key.upper()} must be JSON ({field.annotation}): {exc}") from None
            else:
                found[name] = text
        return found


def _dotenv(path: str | Path) -> Mapping[str, str | None]:
    """The variables of a ``.env`` file, none when there is no such file."""
    if not Path(path).is_file():
        return {}
    from dotenv import dotenv_values

    return dotenv_values(path, encoding="utf-8")


class Settings(EnvSettings):
    """Every setting of quantpilot, typed; secrets are ``SecretStr`` and never printed."""

    env_prefix: ClassVar[str] = "QUANTPILOT_"

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
    research_server: Literal["auto", "off"] = Field(
        default="auto", description="auto: `backtest grid` and `walkforward` in the terminal hand their work to a "
        "resident research process (started after the first such command, kept warm until idle); off: each runs "
        "in its own process")
    research_server_idle_minutes: float = Field(default=20.0, gt=0, description="the resident research process "
                                                "ends after this long without a request")
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
