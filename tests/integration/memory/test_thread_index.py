"""The chat-thread index on the real database: owned threads keyed by (owner, id), local threads by key, titles
stored redacted, and the migration that gives existing threads their owners."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from errors import ConfigError
from memory.db import Database
from memory.migrate import alembic_config
from memory.threads import ThreadStore, owned_thread_key
from memory.users import Role, UserStore

KEY = "qp_0123456789ab_" + "s3cr3t" * 7


@pytest.fixture()
def users(database):
    store = UserStore(database)
    return store.add("ann", Role.TRADER).user, store.add("bob", Role.TRADER).user


def test_the_same_id_of_two_owners_is_two_threads(database, users):
    ann, bob = users
    store = ThreadStore(database)

    store.owned(ann.id, ann.name, "thr_plan").touch(owned_thread_key(ann.id, "thr_plan"), ann.name, "ann's plan")
    store.owned(bob.id, bob.name, "thr_plan").touch(owned_thread_key(bob.id, "thr_plan"), bob.name, "bob's plan")

    mine, theirs = store.find(ann.id, "thr_plan"), store.find(bob.id, "thr_plan")
    assert (mine.title, theirs.title) == ("ann's plan", "bob's plan") and mine.key != theirs.key
    assert [t.id for t in store.list(owner_id=ann.id)] == ["thr_plan"]


def test_creating_an_id_its_owner_has_already_is_refused_but_another_owner_may(database, users):
    ann, bob = users
    store = ThreadStore(database)

    first = store.create(ann.id, ann.name, "thr_x", "one")
    again = store.create(ann.id, ann.name, "thr_x", "two")
    other = store.create(bob.id, bob.name, "thr_x", "three")

    assert first is not None and again is None and other is not None
    assert store.find(ann.id, "thr_x").title == "one"


def test_a_turn_keeps_the_first_title_and_marks_the_thread_active(database, users):
    ann, _ = users
    store = ThreadStore(database)
    thread = store.owned(ann.id, ann.name, "thr_t")

    thread.touch(thread.key, ann.name, f"first question with {KEY}")
    thread.touch(thread.key, ann.name, "second question")

    record = store.find(ann.id, "thr_t")
    assert record.title == "first question with [REDACTED:quantpilot_key]" and record.updated_at > record.created_at


def test_a_local_thread_cannot_take_over_a_users_thread_by_its_key(database, users):
    ann, _ = users
    store = ThreadStore(database)
    thread = store.owned(ann.id, ann.name, "thr_mine")
    thread.touch(thread.key, ann.name, "mine")

    with pytest.raises(ConfigError) as refused:
        store.touch(thread.key, "someone-local", "hijack")

    assert refused.value.code == "thread_key_taken"
    assert store.get(thread.key).owner_id == ann.id and store.get(thread.key).title == "mine"


@pytest.fixture()
def scratch_database(database):
    """An empty database on the same server, dropped afterwards (migrations are run in it step by step)."""
    name = f"qp_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(database.engine.url.set(database=name))
    try:
        yield Database(engine, sessionmaker(engine), database.origin)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _upgrade(database: Database, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_the_migration_gives_existing_threads_the_owner_active_when_they_began(scratch_database):
    _upgrade(scratch_database, "0002")
    _upgrade(scratch_database, "0006")
    with scratch_database.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO api_users (id, name, role, key_id, key_salt, key_hash, created_at, revoked_at) VALUES"
            " (1, 'ann', 'trader', 'a1', 's', 'h', '2024-01-01', '2024-06-01'),"
            " (2, 'ann', 'trader', 'a2', 's', 'h', '2024-06-02', NULL)"))
        conn.execute(text(
            "INSERT INTO chat_threads (id, user_id, title, created_at, updated_at) VALUES"
            " ('thr_old', 'ann', 'old', '2024-03-01', '2024-03-01'),"
            " ('thr_new', 'ann', 'new', '2024-07-01', '2024-07-01'),"
            " ('thr_cli', 'os-user', 'local', '2024-07-01', '2024-07-01')"))

    _upgrade(scratch_database, "heads")

    store = ThreadStore(scratch_database)
    assert store.find(1, "thr_old").key == "thr_old"  # the revoked "ann" began it: the new "ann" cannot see it
    assert store.find(2, "thr_old") is None and store.find(2, "thr_new").title == "new"
    assert store.get("thr_cli").owner_id is None and store.get("thr_cli").id == "thr_cli"
