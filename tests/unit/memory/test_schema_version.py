"""The schema check every connection makes reads the migration heads without alembic, and agrees
with alembic's own answer; anything it cannot read plainly sends the caller to alembic."""

from memory.migrate import head_revision
from memory.schema_version import declared_heads


def test_declared_heads_equal_alembics_heads_of_the_migration_tree():
    assert declared_heads() == head_revision()


def test_a_revision_that_is_not_a_plain_literal_means_unsure(tmp_path):
    (tmp_path / "0001_base.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_next.py").write_text('revision = make_id()\ndown_revision = "0001"\n')

    assert declared_heads(tmp_path) is None


def test_merge_revisions_name_every_parent_so_only_true_heads_remain(tmp_path):
    (tmp_path / "a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision = "0002"\ndown_revision = "0001"\n')
    (tmp_path / "c.py").write_text('revision = "0003"\ndown_revision = "0001"\n')
    (tmp_path / "d.py").write_text('revision = "0004"\ndown_revision = ("0002", "0003")\n')

    assert declared_heads(tmp_path) == "0004"
