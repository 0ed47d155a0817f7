"""Each member's next due instant (indexed, for ``advance``) and the program-wide state row.

- ``reciprocity_members.next_due``: when the member next has something due
  (``Program.next_due``), as fixed-width UTC text, ``NULL`` when nothing is; indexed, so
  ``advance(until)`` selects only the due members. Existing rows get ``UNKNOWN`` (a text
  before every instant): the migration cannot compute a due time (that needs the program),
  so the store computes it when it is opened (and, until then, such a member counts as due).
- ``reciprocity_program_state``: one row (``id`` 1) holding a program's program-wide state
  (budgets, stock, rankings) with its ``revision`` and the newest ledger row across members.
- ``reciprocity_snapshots``: for such a program, the member's state and the program-wide
  state after each ledger row (a cache: a late event re-runs only the rows after it).
- ``reciprocity_effects.source_seq``: the ledger row whose decision a correction belongs to
  (``NULL``: the row that recorded it); ``reciprocity_events.at`` gets an index.

Revision ID: 0002
Revises: 0001

Imports: Alembic and SQLAlchemy only (a migration never imports the package's code, so it
keeps meaning what it meant when it was written).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")
UNKNOWN = "0000-00-00T00:00:00.000000Z"  # the store's UNKNOWN_DUE: "compute when opened"


def upgrade() -> None:
    """Add and backfill ``next_due``, create the program-state table."""
    op.add_column("reciprocity_members", sa.Column("next_due", sa.String(27), nullable=True))
    op.execute(sa.text("UPDATE reciprocity_members SET next_due = :unknown")
               .bindparams(unknown=UNKNOWN))
    op.create_index("reciprocity_members_next_due", "reciprocity_members", ["next_due"])
    op.create_table(
        "reciprocity_program_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("last_at", sa.String(27), nullable=True),
        sa.Column("last_kind", sa.Integer, nullable=True),
        sa.Column("last_id", sa.String(255), nullable=True),
        sa.Column("last_member", sa.String(255), nullable=True),
    )
    op.create_table(
        "reciprocity_snapshots",
        sa.Column("event_seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("member_id", sa.String(255), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("shared", sa.Text, nullable=False),
    )
    op.add_column("reciprocity_effects", sa.Column("source_seq", SEQ, nullable=True))
    op.create_index("reciprocity_effects_source", "reciprocity_effects", ["source_seq"])
    op.create_index("reciprocity_events_at", "reciprocity_events", ["at"])


def downgrade() -> None:
    """Drop what ``upgrade`` added."""
    op.drop_index("reciprocity_events_at", "reciprocity_events")
    op.drop_index("reciprocity_effects_source", "reciprocity_effects")
    with op.batch_alter_table("reciprocity_effects") as batch:
        batch.drop_column("source_seq")
    op.drop_table("reciprocity_snapshots")
    op.drop_table("reciprocity_program_state")
    op.drop_index("reciprocity_members_next_due", "reciprocity_members")
    with op.batch_alter_table("reciprocity_members") as batch:
        batch.drop_column("next_due")
