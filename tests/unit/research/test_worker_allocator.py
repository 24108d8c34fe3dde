"""Research jobs run in processes of the research fork server with Arrow's system allocator: Arrow's default one
reserves ~1 GiB of address space ahead, which the job's memory limit (RLIMIT_AS) would count against the job."""

from __future__ import annotations

import os


def _arrow_pool(answer) -> None:
    import pyarrow

    answer.put((pyarrow.default_memory_pool().backend_name, os.environ.get("ARROW_DEFAULT_MEMORY_POOL")))


def test_a_job_process_uses_the_system_allocator_unless_the_person_chose_one(monkeypatch):
    from services.research.jobs import _worker_context

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    context = _worker_context()
    answer = context.Queue()
    child = context.Process(target=_arrow_pool, args=(answer,))
    child.start()
    child.join(timeout=120)

    assert child.exitcode == 0
    assert answer.get(timeout=10) == ("system", "system")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    _worker_context()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"  # a person's own choice is kept
