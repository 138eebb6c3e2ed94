"""The database schema's migrations (Alembic), for opt-outs and analytics alike.

The migrations live inside the package, so `migrant-bot db upgrade` works from an installed
package as from the repository, without an alembic.ini. `upgrade` brings a database to the
newest revision; `ensure_schema` does the same but first checks, cheaply, whether there is
anything to do (the stores call it when they open a database).

A database made before Alembic (an `opt_outs` table from `create_all`) is adopted: the first
revision creates only the tables that are missing.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
_lock = threading.Lock()


def alembic_config() -> Config:
    """Return Alembic's configuration for our migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """Return the newest revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's revision, or None for a database Alembic never touched."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Upgrade the database to the newest revision; return it."""
    config = alembic_config()
    with _lock, engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()


def ensure_schema(engine: Engine) -> None:
    """Upgrade the database unless it is already at the newest revision."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
