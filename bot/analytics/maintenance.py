"""Database upkeep that `serve` runs for itself: upgrade on start, roll up old events daily."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timezone

from sqlalchemy.exc import SQLAlchemyError

from bot.analytics.retention import RollupResult, roll_up
from bot.db import create_engine_for
from bot.migrations import upgrade
from bot.settings import Settings

logger = logging.getLogger(__name__)

ROLLUP_EVERY_SECONDS = 6 * 3600  # a day rolls up within hours of becoming due


def today_utc() -> date:
    """Return today's date in UTC, the reports' time zone."""
    return datetime.now(timezone.utc).date()


def upgrade_database(settings: Settings) -> str:
    """Upgrade the database at DATABASE_URL to the newest schema; return its revision."""
    engine = create_engine_for(settings.database_url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()


def rollup(settings: Settings, today: date | None = None) -> RollupResult:
    """Roll up the events older than ANALYTICS_RETENTION_DAYS."""
    engine = create_engine_for(settings.database_url)
    try:
        return roll_up(engine, today or today_utc(), settings.analytics_retention_days)
    finally:
        engine.dispose()


class PeriodicRollup:
    """Run the roll-up in a daemon thread now and then every `interval` seconds."""

    def __init__(self, settings: Settings, interval: float = ROLLUP_EVERY_SECONDS) -> None:
        self.settings = settings
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analytics-rollup", daemon=True)

    def start(self) -> PeriodicRollup:
        """Start the thread; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop waiting for the next run (a run in progress finishes its transaction)."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = rollup(self.settings)
                if result.days_rolled:
                    logger.info("analytics: rolled up %d day(s), %d event(s)",
                                result.days_rolled, result.events_rolled)
            except SQLAlchemyError as error:
                logger.warning("analytics: roll-up skipped, database unavailable (%s)",
                               type(error).__name__)
            self._stop.wait(self.interval)
