"""Whatever JSON a caller audits, the hash computed at append time is the hash recomputed from
what Postgres gives back (JSONB reorders keys and rewrites numbers such as 1e20 and 1.0)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from memory.audit import AuditLog

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | _text)
_json = st.recursive(_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_text, kids, max_size=4),
                     max_leaves=15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(payload={"a": [1e20, 1.0, 1e-7, -0.0, 2**64, 1.5e300, 0.1], "Ω": {"z": 1, "a": "é\u2028"}})
@given(payload=st.dictionaries(st.sampled_from(["a", "b", "nested", "Ω", "values"]), _json, max_size=4))
def test_any_json_payload_verifies_after_the_jsonb_round_trip(database, payload):
    with database.engine.begin() as conn:  # each example starts from an empty log
        conn.execute(text("TRUNCATE audit_log, audit_head"))
    log = AuditLog(database)
    log.append("alice", "api", "note", "s", payload)
    log.append("alice", "api", "note", "s", {"after": payload})

    result = log.verify()

    assert result.ok, result.message()
