"""SQLAlchemy models, one module per concept; ``Base.metadata`` is the whole schema."""

from memory.models.base import Base
from memory.models.market import Bar, DataQualityReport, DataSchedule, DataScheduleRun, Instrument

__all__ = ["Bar", "Base", "DataQualityReport", "DataSchedule", "DataScheduleRun", "Instrument"]
