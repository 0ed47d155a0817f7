"""The ledger's tables, how instants are stored, and opening a database (migrations included).

Six tables, all prefixed ``reciprocity_`` so they can live in a shop's own database:

- ``reciprocity_program_versions``: each program version with the instant it applies from.
- ``reciprocity_events``: the append-only ledger of applied events (body, fingerprint, the
  program version that decided it, the trace), plus one row per persisted ``advance`` of a
  member (``event_id`` NULL, ``kind`` ``"advance"``).
- ``reciprocity_effects``: the append-only ledger of effects. A correction never edits a
  row: it appends a ``reversal`` (the old effect, points negated, ``reverses`` naming it) and
  a ``correction`` (the new effect).
- ``reciprocity_members``: the current state of each member, a cache of the ledger, with its
  ``revision`` (the compare-and-set token), the newest applied ``(at, event_id)`` and its
  ``next_due`` instant (indexed: ``advance`` selects only the due members).
- ``reciprocity_program_state``: one row with a program's program-wide state (budgets, stock,
  rankings), its ``revision`` and the newest ledger row across members; every decision of such
  a program locks it.
- ``reciprocity_snapshots``: for such a program, the member's state and the program-wide state
  after each ledger row, a cache that lets a late event re-run only the rows after it.

Instants are stored as fixed-width UTC text (``2026-03-01T11:00:00.000000Z``), so text order is
time order in every database, and nothing depends on a driver's time-zone handling.

The schema is created and upgraded by the Alembic migrations shipped in ``migrations/``; they
run when a store is opened (:func:`open_engine`), under a lock, so workers can open a new
database at once. The Alembic version table is ``reciprocity_alembic_version``, apart from a
shop's own.

Imports: SQLAlchemy and Alembic; ``reciprocity.errors``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ..errors import StoreError

__all__ = ["EVENT_BY_ID", "INSERT_EFFECT", "INSERT_EVENT", "INSERT_MEMBER", "MEMBER_FOR_UPDATE",
           "PROGRAM_STATE_FOR_UPDATE", "UNKNOWN_DUE", "UPDATE_DUE", "UPDATE_MEMBER",
           "UPDATE_PROGRAM_STATE", "VERSION_STARTS", "Retry", "effects", "events", "from_ts",
           "members", "metadata", "open_engine", "program_state", "program_versions", "snapshots",
           "ts"]

ID = 255
TS = 27
SEQ = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

metadata = MetaData()

program_versions = Table(
    "reciprocity_program_versions", metadata,
    Column("version", String(ID), primary_key=True),
    Column("effective_from", String(TS), nullable=False, unique=True),
    Column("program", Text, nullable=False),
)

events = Table(
    "reciprocity_events", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("member_id", String(ID), nullable=False),
    Column("event_id", String(ID), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("at", String(TS), nullable=False),
    Column("fingerprint", String(32), nullable=True),
    Column("program_version", String(ID), nullable=False),
    Column("late", Integer, nullable=False, default=0),
    Column("body", Text, nullable=True),
    Column("trace", Text, nullable=False),
    UniqueConstraint("member_id", "event_id", name="reciprocity_events_member_event"),
    Index("reciprocity_events_member_at", "member_id", "at"),
    Index("reciprocity_events_at", "at"),
)

effects = Table(
    "reciprocity_effects", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("event_seq", SEQ, nullable=False),
    Column("member_id", String(ID), nullable=False),
    Column("at", String(TS), nullable=False),
    Column("type", String(40), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("reverses", SEQ, nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("program_version", String(ID), nullable=False),
    Column("body", Text, nullable=False),
    Column("source_seq", SEQ, nullable=True),
    Index("reciprocity_effects_member", "member_id"),
    Index("reciprocity_effects_event", "event_seq"),
    Index("reciprocity_effects_at", "at"),
    Index("reciprocity_effects_source", "source_seq"),
)

members = Table(
    "reciprocity_members", metadata,
    Column("member_id", String(ID), primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("as_of", String(TS), nullable=True),
    Column("last_at", String(TS), nullable=True),
    Column("last_id", String(ID), nullable=True),
    Column("state", Text, nullable=False),
    Column("next_due", String(TS), nullable=True),
    Index("reciprocity_members_as_of", "as_of"),
    Index("reciprocity_members_next_due", "next_due"),
)

program_state = Table(
    "reciprocity_program_state", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("revision", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("last_at", String(TS), nullable=True),
    Column("last_kind", Integer, nullable=True),
    Column("last_id", String(ID), nullable=True),
    Column("last_member", String(ID), nullable=True),
)

snapshots = Table(
    "reciprocity_snapshots", metadata,
    Column("event_seq", SEQ, primary_key=True, autoincrement=False),
    Column("member_id", String(ID), nullable=False),
    Column("state", Text, nullable=False),
    Column("shared", Text, nullable=False),
)

UNKNOWN_DUE = "0000-00-00T00:00:00.000000Z"
"""``next_due`` of a row the migration added the column to: computed when a store opens
(before every instant in text order, so such a member counts as due meanwhile)."""


class Retry(Exception):
    """A lost race: roll back and try again with fresh rows."""


# The statements of every apply, built once (building a statement costs more than running it).
MEMBER_FOR_UPDATE = select(members).where(
    members.c.member_id == bindparam("member_id")).with_for_update()
EVENT_BY_ID = select(events).where(events.c.member_id == bindparam("member_id"),
                                   events.c.event_id == bindparam("event_id"))
VERSION_STARTS = select(program_versions.c.version, program_versions.c.effective_from)
INSERT_EVENT = insert(events)
INSERT_EFFECT = insert(effects)
INSERT_MEMBER = insert(members)
UPDATE_MEMBER = update(members).where(
    members.c.member_id == bindparam("b_member_id"),
    members.c.revision == bindparam("b_revision"),
).values(revision=bindparam("n_revision"), state=bindparam("n_state"),
         as_of=bindparam("n_as_of"), last_at=bindparam("n_last_at"),
         last_id=bindparam("n_last_id"), next_due=bindparam("n_next_due"))
UPDATE_DUE = update(members).where(
    members.c.member_id == bindparam("b_member_id"),
    members.c.revision == bindparam("b_revision"),
).values(next_due=bindparam("n_next_due"))
PROGRAM_STATE_FOR_UPDATE = select(program_state).where(program_state.c.id == 1).with_for_update()
UPDATE_PROGRAM_STATE = update(program_state).where(
    program_state.c.id == 1, program_state.c.revision == bindparam("b_revision"),
).values(revision=bindparam("n_revision"), state=bindparam("n_state"),
         last_at=bindparam("n_last_at"), last_kind=bindparam("n_last_kind"),
         last_id=bindparam("n_last_id"), last_member=bindparam("n_last_member"))


def ts(when: datetime) -> str:
    """An aware instant as fixed-width UTC text; text order is time order.

    >>> from datetime import timedelta, timezone
    >>> ts(datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=1))))
    '2026-03-01T11:00:00.000000Z'
    """
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_ts(value: str) -> datetime:
    """The instant of a stored text (in UTC)."""
    return datetime.fromisoformat(value)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_ID = 0x7265_6369_7072  # PostgreSQL advisory lock held while migrating ("recipr")


def _sqlite_setup(engine: Engine) -> None:
    """SQLite: WAL (readers never block the writer), a busy timeout, and ``BEGIN IMMEDIATE``
    for every transaction, so a transaction that reads a member and then writes it holds the
    write lock from the start (no upgrade deadlock between two readers)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str | Path) -> Engine:
    """An engine for ``url`` (a SQLAlchemy URL, or a path for a SQLite file), with the schema
    migrated to the newest revision this package ships."""
    text_url = str(url)
    if "://" not in text_url:
        text_url = f"sqlite:///{Path(text_url).resolve()}"
    parsed = make_url(text_url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise StoreError(f"url={text_url!r} is an in-memory SQLite database",
                             hint="give a file path (tmp_path / 'ledger.db'); every worker "
                             "and every connection must see the same ledger")
        engine = create_engine(parsed, pool_size=1, max_overflow=4)
        _sqlite_setup(engine)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=4)
    else:
        raise StoreError(f"url={text_url!r} names the {parsed.get_backend_name()} database",
                         hint="use a SQLite file path or a postgresql+psycopg:// URL")
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(
            f"the ledger database {parsed.render_as_string(hide_password=True)!r} cannot be "
            f"opened: {reason}",
            hint="give the path of a SQLite file (created if missing; not a directory or "
            "another kind of file) or the URL of a running PostgreSQL server") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest shipped revision, under a lock."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        context = MigrationContext.configure(
            connection, opts={"version_table": "reciprocity_alembic_version"})
        current = context.get_current_revision()
        if current == head:
            return
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            raise StoreError(
                f"the database's ledger schema is at revision {current!r}, which this version "
                "of reciprocity does not know",
                hint="upgrade reciprocity to the version that wrote the database")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
