"""Settings of the HTTP API (env prefix ``QUANTPILOT_API_``), kept apart from ``config.Settings``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from config import EnvSettings

MIB = 1024 * 1024


class ApiSettings(EnvSettings):
    """What the API server needs beyond the product settings; safe defaults (no CORS, 1 MiB bodies)."""

    env_prefix: ClassVar[str] = "QUANTPILOT_API_"

    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS; empty = none")
    rate_limit: str = Field(default="600/minute", description="per API key, `limits` notation (e.g. 10/second)")
    auth_failure_limit: str = Field(default="30/minute", description="failed authentications per client address")
    rate_limit_storage: str = Field(default="memory://", description="`limits` storage URI (per worker in memory)")
    max_body_bytes: int = Field(default=MIB, ge=1, description="larger request bodies get 413")
    key_pepper: SecretStr | None = Field(default=None, description="server secret mixed into every key hash")
    auth_cache_seconds: float = Field(default=5.0, ge=0, description="how long a verified key is trusted "
                                      "without a database lookup (a revoked key works at most this long)")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes (sizes the connection pools)")
    max_db_connections: int = Field(default=100, ge=10, description="Postgres max_connections")
    reserved_db_connections: int = Field(default=20, ge=0, description="kept free for CLI, scheduler, migrations")
    db_pool_size: int | None = Field(default=None, ge=1, description="per worker; unset = derived from workers")
    db_max_overflow: int | None = Field(default=None, ge=0, description="per worker; unset = derived")
    symbols_cache_seconds: float = Field(default=60.0, ge=0, description="reuse the stored-symbols summary "
                                         "(a full scan of bars) at most this long; any bar write clears it")
    bars_cache_seconds: float = Field(default=60.0, ge=0, description="reuse a read bar window at most this "
                                      "long (0 = off); any bar write, in any process, clears it")
    recover_threads: bool = Field(default=True, description="at start, continue agent turns a killed "
                                  "process left half-done (`quantpilot threads recover` does it by hand)")
    recover_after_idle_s: float = Field(default=60.0, ge=0, description="only threads idle this long are "
                                        "continued (a turn still running elsewhere looks the same until then)")
    recover_max_age_s: float = Field(default=86_400.0, ge=0, description="threads whose last step is older "
                                     "than this are not continued by themselves (they acted on what was true "
                                     "then); 0 = no limit")
    docs: bool = Field(default=True, description="serve /docs (Swagger UI from files the app serves: it works "
                       "offline)")
    metrics_key: SecretStr | None = Field(default=None, description="when set, /metrics answers only "
                                          "`Authorization: Bearer <this key>`; unset = /metrics is open")

    def pool_limits(self) -> tuple[int, int]:
        """``(pool_size, max_overflow)`` per worker so that workers x (size + overflow + 1 LISTEN connection
        for cache invalidation) stays within ``max_db_connections - reserved_db_connections``."""
        budget = max(self.workers, self.max_db_connections - self.reserved_db_connections)
        per_worker = max(1, min(20, budget // self.workers - 1))
        size = self.db_pool_size or max(1, per_worker // 2)
        overflow = self.db_max_overflow if self.db_max_overflow is not None else max(0, per_worker - size)
        return size, overflow
