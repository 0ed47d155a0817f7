"""A durable ledger for shop backends: events and effects in SQL, nothing lost or doubled.

``Store(url, program)`` opens (and migrates) a SQLite file or a PostgreSQL database. Its
``apply(event)`` is atomic and idempotent by event id; ``advance(until)`` fires the
time-driven effects of the members behind ``until``. See ``docs/store.md``.

Needs the ``db`` extra: ``pip install 'reciprocity[db]'`` (SQLAlchemy 2, Alembic, psycopg).
``import reciprocity`` never imports this package.

Imports: SQLAlchemy and Alembic (through its modules), the public names of ``reciprocity``.
"""

from __future__ import annotations

from ..errors import MissingDependency

try:
    import alembic  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as _exc:  # pragma: no cover - the extra is installed in the tests
    raise MissingDependency(
        f"reciprocity.store needs SQLAlchemy and Alembic ({_exc.name} is missing)",
        hint="pip install 'reciprocity[db]'") from None

from ..errors import LateEvent, StoreContention, StoreError
from ._exports import EffectsReport, EffectsRow
from ._ledger import STEPS, Store
from ._models import Applied, Correction, Liability, SwitchImpact

__all__ = ["STEPS", "Applied", "Correction", "EffectsReport", "EffectsRow", "LateEvent",
           "Liability", "Store", "StoreContention", "StoreError", "SwitchImpact"]
