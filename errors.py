"""The small error tree of quantpilot.

Every error a user can cause or meet is a ``QuantpilotError``; user-facing surfaces turn it into
a one-line message (CLI: exit code 2; API: a 4xx JSON body), never a traceback.
"""

from __future__ import annotations


class QuantpilotError(Exception):
    """Base of every error quantpilot raises on purpose. ``code`` is machine-readable."""

    code: str = "quantpilot_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message


class DataError(QuantpilotError):
    """Market data is missing, malformed or fails validation (names symbol, row and rule)."""

    code = "data_error"


class ConfigError(QuantpilotError):
    """Configuration or an argument is invalid (unknown strategy, bad parameter, bad setting)."""

    code = "config_error"


class NotFoundError(QuantpilotError):
    """A named thing (symbol, run, order, approval, thread) does not exist."""

    code = "not_found"


class AuthenticationError(QuantpilotError):
    """No credential, or one that names no active user (API 401, CLI exit 2)."""

    code = "unauthenticated"


class PermissionDenied(QuantpilotError):
    """The authenticated user's role may not perform the operation (API 403, CLI exit 2)."""

    code = "forbidden"


class QuotaExceeded(QuantpilotError):
    """A per-user quota (running jobs, chat turns) or the job queue is full: try again after
    ``retry_after_s`` seconds (API 429 with ``Retry-After``, CLI exit 2)."""

    code = "quota_exceeded"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None, details: dict | None = None):
        super().__init__(message, code=code, details={**(details or {}), "retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class RiskRejected(QuantpilotError):
    """The risk policy refused an action; ``details['codes']`` lists the reason codes."""

    code = "risk_rejected"


class ApprovalError(QuantpilotError):
    """An approval is missing, expired, already decided, or the approver may not decide it."""

    code = "approval_error"


class DatabaseError(QuantpilotError):
    """The database could not be started or reached."""

    code = "database_error"


class BrokerError(QuantpilotError):
    """A broker refused or failed a request."""

    code = "broker_error"


class TemporaryBrokerError(BrokerError):
    """A broker failure worth retrying with backoff (timeouts, 429, 5xx)."""

    code = "broker_temporary"


class PermanentBrokerError(BrokerError):
    """A broker failure that a retry cannot fix (4xx other than 429, insufficient funds)."""

    code = "broker_permanent"


class ModelServerError(QuantpilotError):
    """The model server failed a request: unreachable, an HTTP error, a context overflow (``details``
    names the server and, when it sent one, the HTTP status)."""

    code = "model_server_error"


class ModelTimeoutError(ModelServerError):
    """The model server did not answer within the configured request timeout."""

    code = "model_timeout"
