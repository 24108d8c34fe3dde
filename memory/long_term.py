"""Long-term memory: remember texts per user and recall the closest ones by meaning (pgvector).

Similarity is cosine similarity of all-MiniLM-L6-v2 embeddings, computed in SQL with pgvector's
``<=>`` (cosine distance) over an HNSW index. Every read is scoped to one user: a user never
recalls another user's memories.

A process that has not loaded the embedding model (``approvals approve`` remembering a decision: loading numpy
and the model would be a tenth of the command) stores the text with its embedding pending; ``recall`` embeds a
user's pending memories before it searches, so what it finds is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, func, select, text, update

from errors import ConfigError
from guardrails.redaction import redact, redact_value
from memory.models.memories import MEMORY_EMBEDDING_DIM, Memory, MemoryKind

if TYPE_CHECKING:
    import numpy as np

    from memory.db import Database

MAX_RECALL = 100  # the most memories one recall returns
MAX_TEXT_CHARS = 20_000
PENDING_BATCH = 256  # pending memories one recall embeds per batch


class TextEmbedder(Protocol):
    """What long-term memory needs from an embedder (memory.embeddings.Embedder is one)."""

    def embed(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Recollection:
    """A recalled memory; ``score`` is cosine similarity to the query in [-1, 1] (1 = same meaning)."""

    id: int
    kind: MemoryKind
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


def _kind(value: str | MemoryKind) -> MemoryKind:
    try:
        return MemoryKind(value)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in MemoryKind)
        raise ConfigError(f"unknown memory kind {value!r}; expected one of {allowed}", details={"kind": value}) from exc


def _user(user_id: str) -> str:
    if not isinstance(user_id, str) or not user_id.strip():
        raise ConfigError("user_id must be a non-empty string", details={"user_id": user_id})
    return user_id


class LongTermMemory:
    """Remember and recall texts per user; embeddings are computed by ``embedder``."""

    def __init__(self, database: Database, embedder: TextEmbedder):
        self._db = database
        self._embedder = embedder
        self._iterative_scan: bool | None = None

    def _vector(self, text_: str) -> np.ndarray:
        import numpy as np

        vector = np.asarray(self._embedder.embed([text_]), dtype=np.float32)
        if vector.shape != (1, MEMORY_EMBEDDING_DIM):
            raise ConfigError(f"embedder returned shape {vector.shape}, expected (1, {MEMORY_EMBEDDING_DIM})")
        return vector[0]

    def remember(
        self, user_id: str, kind: str | MemoryKind, text: str, metadata: Mapping[str, Any] | None = None
    ) -> int:
        """Store ``text`` for ``user_id`` (secrets masked); returns the new memory's id. Metadata must be
        JSON-serialisable. Embedded now when the embedder has its model loaded, else by the next ``recall``."""
        user = _user(user_id)
        memory_kind = _kind(kind)
        text, metadata = redact(text), redact_value(dict(metadata or {}))
        if not text or not text.strip():
            raise ConfigError("cannot remember an empty text", details={"user_id": user, "kind": memory_kind.value})
        if len(text) > MAX_TEXT_CHARS:
            raise ConfigError(
                f"memory text has {len(text)} characters, the limit is {MAX_TEXT_CHARS}",
                details={"user_id": user, "kind": memory_kind.value},
            )
        embedding = self._vector(text) if getattr(self._embedder, "is_loaded", True) else None  # None: pending
        row = Memory(user_id=user, kind=memory_kind.value, text=text, meta=dict(metadata or {}), embedding=embedding)
        with self._db.session() as session:
            session.add(row)
            session.flush()
            return int(row.id)

    def recall(
        self, user_id: str, query: str, k: int = 5, kinds: Iterable[str | MemoryKind] | None = None
    ) -> list[Recollection]:
        """The ``k`` memories of ``user_id`` closest in meaning to ``query``, best first.

        ``kinds`` restricts the search to those kinds. Returns fewer than ``k`` when the user has
        fewer matching memories; never returns another user's memory.
        """
        user = _user(user_id)
        if not 1 <= k <= MAX_RECALL:
            raise ConfigError(f"k must be between 1 and {MAX_RECALL}, got {k}", details={"k": k})
        if not query or not query.strip():
            return []
        self._embed_pending(user)
        vector = self._vector(query)
        distance = Memory.embedding.cosine_distance(vector).label("distance")
        stmt = select(Memory, distance).where(Memory.user_id == user, Memory.embedding.is_not(None))
        if kinds is not None:
            wanted = sorted({_kind(kind).value for kind in kinds})
            if not wanted:
                return []
            stmt = stmt.where(Memory.kind.in_(wanted))
        stmt = stmt.order_by(distance, Memory.id).limit(k)
        with self._db.session() as session:
            if self._supports_iterative_scan(session):
                # With a filter on user/kind the HNSW scan must keep going until k rows pass it.
                session.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))
            rows = session.execute(stmt).all()
        return [
            Recollection(
                id=int(m.id),
                kind=MemoryKind(m.kind),
                text=m.text,
                score=float(1.0 - dist),
                metadata=dict(m.meta or {}),
                created_at=m.created_at,
            )
            for m, dist in rows
        ]

    def _embed_pending(self, user: str) -> int:
        """Embed ``user``'s memories stored without an embedding; how many. Two processes doing it at once write
        the same vectors (the model is deterministic)."""
        done = 0
        while True:
            with self._db.session() as session:
                pending = session.execute(
                    select(Memory.id, Memory.text).where(Memory.user_id == user, Memory.embedding.is_(None))
                    .order_by(Memory.id).limit(PENDING_BATCH)).all()
            if not pending:
                return done
            import numpy as np

            vectors = np.asarray(self._embedder.embed([t for _, t in pending]), dtype=np.float32)
            with self._db.session() as session:
                for (memory_id, _), vector in zip(pending, vectors, strict=True):
                    session.execute(update(Memory).where(Memory.id == memory_id, Memory.embedding.is_(None))
                                    .values(embedding=vector))
            done += len(pending)

    def forget(self, user_id: str, memory_id: int) -> bool:
        """Delete one memory of ``user_id``; False when it does not exist or belongs to someone else."""
        user = _user(user_id)
        with self._db.session() as session:
            result = session.execute(delete(Memory).where(Memory.id == memory_id, Memory.user_id == user))
            return result.rowcount == 1

    def count(self, user_id: str) -> int:
        """How many memories ``user_id`` has."""
        user = _user(user_id)
        with self._db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Memory).where(Memory.user_id == user)) or 0)

    def _supports_iterative_scan(self, session) -> bool:
        """pgvector >= 0.8 can continue an HNSW scan past filtered-out rows."""
        if self._iterative_scan is None:
            version = session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")) or "0"
            major_minor = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
            self._iterative_scan = major_minor >= (0, 8)
        return self._iterative_scan
