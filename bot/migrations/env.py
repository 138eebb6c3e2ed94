"""Alembic's environment: run the migrations on the connection the caller passes in."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: use DATABASE_URL like every other command
    from bot.db import create_engine_for
    from bot.settings import Settings

    engine = create_engine_for(Settings.from_env().database_url)
    with engine.begin() as connection:
        context.configure(connection=connection, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
