"""Find the service behind a tool, or say it is not there.

Several quant and memory services are built in parallel with the tools. A tool asks for its
backend by module and name; while that module or attribute does not exist the tool answers with a
structured ``unavailable`` result naming it, instead of crashing the conversation.
"""

from __future__ import annotations

import importlib
from typing import Any

from errors import QuantpilotError


class ServiceUnavailable(QuantpilotError):
    """A backing service (module, attribute, database, broker) is not available to this run."""

    code = "service_unavailable"


def backend(module: str, attr: str) -> Any:
    """``module.attr``, imported lazily; ``ServiceUnavailable`` naming it when it does not exist yet."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or module
        if module == missing or module.startswith(missing + "."):
            raise ServiceUnavailable(f"{module} is not available yet", details={"missing": module}) from exc
        raise
    try:
        return getattr(loaded, attr)
    except AttributeError as exc:
        name = f"{module}.{attr}"
        raise ServiceUnavailable(f"{name} is not available yet", details={"missing": name}) from exc


def require(value: Any, what: str) -> Any:
    """``value`` unless it is None (a collaborator this run was built without)."""
    if value is None:
        raise ServiceUnavailable(f"no {what} configured for this run", details={"missing": what})
    return value


# Where each tool expects its service. Services still being built answer ``unavailable`` until they
# land; when one lands under another name, this table is the one place to change.
EXPECTED: dict[str, tuple[str, str]] = {
    "list_strategies": ("quant.strategies", "list_strategies"),
    "get_strategy": ("quant.strategies", "get_strategy"),
    "validate_params": ("quant.strategies", "validate_params"),
    "compute_features": ("quant.features", "compute_features"),
    "optimize_portfolio": ("quant.portfolio.optimizer", "optimize_portfolio"),
    "portfolio_methods": ("quant.portfolio.optimizer", "METHODS"),
    "research_runs": ("memory.research", "ResearchService"),
    "run_store": ("memory.runs", "RunStore"),
    "model_registry": ("memory.model_registry", "ModelRegistry"),
    "risk_service": ("guardrails.risk_service", "RiskService"),
    "long_term_memory": ("memory.long_term", "LongTermMemory"),
    "embedder": ("memory.embeddings", "Embedder"),
}


def expected(key: str) -> Any:
    """The service registered under ``key`` in ``EXPECTED``."""
    module, attr = EXPECTED[key]
    return backend(module, attr)
