"""One logging set-up for the processes we start ourselves (classify, benchmarks).

Rasa logs through structlog, and unconfigured structlog prints every DEBUG event, message text
included, to stdout. Here both stdlib logging and structlog go to stderr and drop everything
below `level` (WARNING by default), so no message text is logged.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "WARNING") -> None:
    """Send logs to stderr at `level` and above; filter structlog the same way."""
    numeric = logging.getLevelName(level.upper())
    logging.basicConfig(
        stream=sys.stderr, level=numeric, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(numeric)
    for name in ("rasa", "tensorflow", "absl", "sanic", "rasa_sdk"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_log_level,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
