"""structlog JSON logging: one line per event with a timestamp (UTC), level, logger, a
correlation id and the thread, and secrets masked — for structlog and stdlib loggers alike. The
masking is the caller's processor (``guardrails.redaction.redact_event``): ``quant`` imports no
upper layer, so the one set of redaction rules is passed in, never copied here.

The correlation id lives in a ``ContextVar``: set it once per request, chat turn or job with
``correlation_scope()`` and every log line inside carries it (threads and asyncio tasks each see
their own). Outside any scope the id is ``thread-<name>``, so lines of one worker still group.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

import structlog

_correlation_id: ContextVar[str | None] = ContextVar("quantpilot_correlation_id", default=None)
_handler: logging.Handler | None = None

EventDict = MutableMapping[str, Any]
Processor = Callable[[Any, str, EventDict], EventDict]


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def current_correlation_id() -> str:
    """The id of the current scope, else ``thread-<thread name>``."""
    return _correlation_id.get() or f"thread-{threading.current_thread().name}"


@contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Log lines inside carry ``correlation_id`` (a fresh one when None); restored on exit."""
    value = correlation_id or new_correlation_id()
    token = _correlation_id.set(value)
    try:
        yield value
    finally:
        _correlation_id.reset(token)


def add_correlation_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict.setdefault("correlation_id", current_correlation_id())
    event_dict.setdefault("thread", threading.current_thread().name)
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_correlation_id,
    ]


def configure_logging(level: str | int = "INFO", *, redact: Processor, stream: TextIO | None = None,
                      json_output: bool = True) -> None:
    """Route structlog and stdlib logging to ``stream`` (stderr by default) as JSON lines masked by ``redact``
    (a structlog processor: ``guardrails.redaction.redact_event``), which runs last before rendering.

    Idempotent: calling again replaces the handler installed by the previous call (tests pass a
    ``StringIO`` to capture output). ``json_output=False`` renders for a terminal instead.
    """
    global _handler
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    renderer = structlog.processors.JSONRenderer(sort_keys=True) if json_output else structlog.dev.ConsoleRenderer(
        colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(numeric)
    _handler = handler
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    """Undo ``configure_logging`` (remove its handler, structlog back to defaults)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler = None
    structlog.reset_defaults()


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
