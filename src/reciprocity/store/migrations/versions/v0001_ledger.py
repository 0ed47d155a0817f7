"""The first ledger schema: program versions, events, effects, members.

Revision ID: 0001
Revises: (none)

Imports: Alembic and SQLAlchemy only (a migration never imports the package's code, so it
keeps meaning what it meant when it was written).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "reciprocity_program_versions",
        sa.Column("version", sa.String(255), primary_key=True),
        sa.Column("effective_from", sa.String(27), nullable=False, unique=True),
        sa.Column("program", sa.Text, nullable=False),
    )
    op.create_table(
        "reciprocity_events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=True),
        sa.Column("program_version", sa.String(255), nullable=False),
        sa.Column("late", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("trace", sa.Text, nullable=False),
        sa.UniqueConstraint("member_id", "event_id", name="reciprocity_events_member_event"),
    )
    op.create_index("reciprocity_events_member_at", "reciprocity_events", ["member_id", "at"])
    op.create_table(
        "reciprocity_effects",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("event_seq", SEQ, nullable=False),
        sa.Column("member_id", sa.String(255), nullable=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("reverses", SEQ, nullable=True),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("program_version", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("reciprocity_effects_member", "reciprocity_effects", ["member_id"])
    op.create_index("reciprocity_effects_event", "reciprocity_effects", ["event_seq"])
    op.create_index("reciprocity_effects_at", "reciprocity_effects", ["at"])
    op.create_table(
        "reciprocity_members",
        sa.Column("member_id", sa.String(255), primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("as_of", sa.String(27), nullable=True),
        sa.Column("last_at", sa.String(27), nullable=True),
        sa.Column("last_id", sa.String(255), nullable=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("reciprocity_members_as_of", "reciprocity_members", ["as_of"])


def downgrade() -> None:
    """Drop the four tables (their data is lost)."""
    for table in ("reciprocity_members", "reciprocity_effects", "reciprocity_events",
                  "reciprocity_program_versions"):
        op.drop_table(table)
