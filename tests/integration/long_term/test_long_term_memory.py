"""Long-term memory on the real Postgres: semantic recall, per-user scoping, kinds, forgetting."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from errors import ConfigError
from memory.embeddings import Embedder
from memory.long_term import LongTermMemory, Recollection
from memory.models.memories import MemoryKind


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture()
def memory(database, embedder) -> LongTermMemory:
    return LongTermMemory(database, embedder)


def test_recall_ranks_the_semantically_closest_memory_first(memory):
    memory.remember("alice", "preference", "I prefer low-volatility strategies with small drawdowns.")
    target = memory.remember(
        "alice",
        "backtest_conclusion",
        "The SMA crossover on SPY had an out-of-sample Sharpe of 1.1 and a max drawdown of 12%.",
        {"run_id": 42, "symbol": "SPY"},
    )
    memory.remember("alice", "note", "Remember to call the broker about the account paperwork.")
    memory.remember("alice", "rejection", "Rejected the live promotion of the crypto breakout strategy.")

    results = memory.recall("alice", "How did the moving-average crossover backtest on SPY perform?", k=4)

    assert [r.id for r in results][0] == target
    assert isinstance(results[0], Recollection)
    assert results[0].kind is MemoryKind.BACKTEST_CONCLUSION
    assert results[0].metadata == {"run_id": 42, "symbol": "SPY"}
    assert results[0].created_at is not None
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] - scores[-1] > 0.2


def test_recall_score_is_the_cosine_similarity_of_the_embeddings(memory, embedder):
    text_ = "Approved paper trading for the mean-reversion strategy."
    query = "Which strategy got approved for paper trading?"
    memory.remember("alice", "approval", text_)
    a, b = embedder.embed([text_, query])
    [result] = memory.recall("alice", query, k=1)
    assert result.score == pytest.approx(float(a @ b), abs=1e-5)


def test_a_user_never_recalls_another_users_memories(memory):
    secret = "Bob's private note: my broker account password hint is the dog's name."
    memory.remember("bob", "note", secret)
    memory.remember("alice", "note", "Alice likes dividend stocks.")

    results = memory.recall("alice", secret, k=10)

    assert [r.text for r in results] == ["Alice likes dividend stocks."]
    assert all(r.text != secret for r in memory.recall("carol", secret, k=10))


def test_user_scoping_holds_when_many_other_users_have_closer_memories(memory):
    # Many near-identical memories of other users must not crowd out (or leak into) alice's result.
    for i in range(20):
        memory.remember(f"user{i}", "note", f"Momentum strategy backtest on QQQ, variant {i}.")
    mine = memory.remember("alice", "note", "Lunch with the risk team on Friday.")

    results = memory.recall("alice", "Momentum strategy backtest on QQQ", k=3)

    assert [r.id for r in results] == [mine]


def test_recall_can_be_restricted_to_kinds(memory):
    memory.remember("alice", "approval", "Approved the paper promotion of the SPY momentum strategy.")
    rejection = memory.remember("alice", "rejection", "Rejected the paper promotion of the SPY momentum strategy.")

    results = memory.recall("alice", "SPY momentum strategy promotion", k=5, kinds=["rejection"])

    assert [r.id for r in results] == [rejection]


def test_recall_returns_at_most_k_results(memory):
    for i in range(7):
        memory.remember("alice", "note", f"Observation number {i} about market breadth.")
    assert len(memory.recall("alice", "market breadth", k=3)) == 3
    assert len(memory.recall("alice", "market breadth", k=50)) == 7


def test_recall_of_a_user_without_memories_is_empty(memory):
    assert memory.recall("nobody", "anything at all") == []


def test_unknown_kind_empty_text_and_bad_k_are_refused(memory):
    with pytest.raises(ConfigError, match="unknown memory kind 'gossip'"):
        memory.remember("alice", "gossip", "something")
    with pytest.raises(ConfigError):
        memory.remember("alice", "note", "   ")
    with pytest.raises(ConfigError):
        memory.remember("", "note", "text")
    with pytest.raises(ConfigError):
        memory.recall("alice", "query", k=0)


def test_forget_deletes_only_the_owners_memory(memory):
    memory_id = memory.remember("alice", "note", "Temporary note to delete.")
    assert memory.forget("bob", memory_id) is False
    assert memory.count("alice") == 1
    assert memory.forget("alice", memory_id) is True
    assert memory.count("alice") == 0


def test_the_database_refuses_a_kind_outside_the_allowed_set(database):
    from sqlalchemy.exc import IntegrityError

    vector = "[" + ",".join(["0"] * 383 + ["1"]) + "]"
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO memories (user_id, kind, text, embedding) VALUES ('a', 'gossip', 't', :v)"),
            {"v": vector},
        )


def test_the_embedding_column_has_an_hnsw_cosine_index(database):
    with database.engine.connect() as conn:
        indexdef = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = 'memories' AND indexname = :n"),
            {"n": "ix_memories_embedding_hnsw"},
        ).scalar_one()
    assert "hnsw" in indexdef
    assert "vector_cosine_ops" in indexdef


def test_the_memories_waiting_for_their_embedding_have_a_partial_index(database):
    with database.engine.connect() as conn:
        indexdef = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = 'memories' AND indexname = :n"),
            {"n": "ix_memories_pending"},
        ).scalar_one()
    assert "(user_id, id)" in indexdef and "WHERE (embedding IS NULL)" in indexdef


def test_a_memory_stored_without_the_model_loaded_is_embedded_by_the_next_recall_and_found_the_same(database):
    """A one-shot process (deciding an approval) stores the text with its embedding pending; the next recall
    embeds it first, so the scores are those of a memory embedded at once."""
    from memory.embeddings import default_model_dir
    from memory.minilm import _models

    loaded = _models.pop(default_model_dir().resolve(), None)  # this process "has not loaded the model yet"
    try:
        fresh = LongTermMemory(database, Embedder())
        assert fresh._embedder.is_loaded is False
        pending = fresh.remember("carol", "approval", "Approved paper trading for the mean-reversion strategy.")
        fresh.remember("dave", "note", "Dave's pending note about dividends.")
    finally:
        if loaded is not None:
            _models[default_model_dir().resolve()] = loaded
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM memories WHERE embedding IS NULL")).scalar_one() == 2

    memory = LongTermMemory(database, Embedder())
    at_once = memory.remember("erin", "approval", "Approved paper trading for the mean-reversion strategy.")
    query = "Which strategy got approved for paper trading?"
    [found] = memory.recall("carol", query, k=3)
    [reference] = memory.recall("erin", query, k=3)

    assert found.id == pending and found.score == pytest.approx(reference.score, abs=1e-6) and at_once != pending
    with database.engine.connect() as conn:  # carol's is embedded now; dave's waits for a recall of his own
        left = conn.execute(text("SELECT user_id FROM memories WHERE embedding IS NULL")).scalars().all()
    assert left == ["dave"]
    assert memory.recall("dave", "dividends", k=1)[0].text == "Dave's pending note about dividends."
