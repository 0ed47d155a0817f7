"""Alembic environment of the ledger schema: runs on the connection the store passes in.

The store opens the connection, takes the migration lock and calls ``alembic.command.upgrade``
with ``config.attributes["connection"]`` set; there is no ``alembic.ini`` and no logging set-up.

Imports: Alembic only.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="reciprocity_alembic_version",
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
