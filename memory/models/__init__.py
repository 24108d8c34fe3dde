"""SQLAlchemy models, one module per concept; ``whole_schema()`` is the whole schema.

A command imports only the modules of the tables it uses (declaring every mapped class costs a read command
~0.15 s); a module whose foreign key points at another module's table imports that module, so any set of
modules loaded resolves its keys. Adding a model is adding a module: ``whole_schema()`` finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from memory.models.base import Base

if TYPE_CHECKING:
    from sqlalchemy import MetaData

_MARKET = ("Bar", "DataQualityReport", "DataSchedule", "DataScheduleRun", "Instrument")
__all__ = ["Base", "whole_schema", *_MARKET]


def whole_schema() -> MetaData:
    """``Base.metadata`` with every model module of this package imported: migrations, the schema check, tests."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return Base.metadata


def __getattr__(name: str) -> Any:
    """The market models by their old names here (``from memory.models import Bar``), loaded when first asked."""
    if name in _MARKET:
        from memory.models import market

        return getattr(market, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
