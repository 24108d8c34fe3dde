"""The app's research job runner (``services.research.jobs``) as a dependency: created on first use, when it
also puts back in the queue whatever a previous process left queued or running."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from services.research.jobs import ResearchJobs

__all__ = ["ResearchJobs", "ResearchJobsDep", "get_research_jobs"]
_create_lock = threading.Lock()


def get_research_jobs(request: Request) -> ResearchJobs:
    """The app's job runner, created on first use (then it re-schedules jobs left queued)."""
    return jobs_of(request.app)


def jobs_of(app) -> ResearchJobs:
    """``app``'s job runner (``app.state.research_jobs``, which tests may set), created on first use."""
    state = app.state
    jobs = getattr(state, "research_jobs", None)
    if jobs is None:
        with _create_lock:
            jobs = getattr(state, "research_jobs", None)
            if jobs is None:
                jobs = state.research_jobs = ResearchJobs(state.database, settings=getattr(state, "settings", None))
                jobs.recover()
    return jobs


ResearchJobsDep = Annotated[ResearchJobs, Depends(get_research_jobs)]
