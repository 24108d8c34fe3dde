"""SQLAlchemy models, one module per concept; ``Base.metadata`` is the whole schema.

Every module in this package is imported here, so adding a model is adding a module.
"""

import importlib
import pkgutil

from memory.models.base import Base

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

from memory.models.market import Bar, DataQualityReport, DataSchedule, DataScheduleRun, Instrument  # noqa: E402

__all__ = ["Bar", "Base", "DataQualityReport", "DataSchedule", "DataScheduleRun", "Instrument"]
