"""Alembic environment: run with the connection trainboard.store.sql.migrate hands over.

There is no alembic.ini: trainboard builds the Config in code and passes an open connection
(already inside the transaction that serialises concurrent first opens) as
`config.attributes["connection"]`.
"""

from __future__ import annotations

from alembic import context

from trainboard.store.sql.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
