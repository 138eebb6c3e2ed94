"""`migrant-bot db ...` and `migrant-bot report indicators`, run as staff run them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.db import create_engine_for
from bot.migrations import current_revision, head_revision
from bot.optouts import OptOutStore
from bot.paths import REPO_ROOT
from bot.server import free_port
from bot.settings import Settings, SettingsError
from tests.analytics.conftest import event, store
from tests.conftest import MIGRANT_BOT


def run(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url, **env}
    return subprocess.run([*MIGRANT_BOT, *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=environment, timeout=120)


def test_db_upgrade_creates_every_table(database_url: str) -> None:
    result = run(database_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout
    tables = set(inspect(create_engine(database_url)).get_table_names())
    assert {"opt_outs", "analytics_events", "analytics_daily", "analytics_uniques",
            "analytics_keys", "analytics_state"} <= tables


def test_a_database_from_before_alembic_keeps_its_opt_outs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    with create_engine(url).begin() as connection:  # what create_all made before migrations
        connection.execute(text("CREATE TABLE opt_outs (person VARCHAR(64) PRIMARY KEY, "
                                "channel VARCHAR(16) NOT NULL, reason VARCHAR(16) NOT NULL, "
                                "hour DATETIME NOT NULL)"))
        connection.execute(text("INSERT INTO opt_outs VALUES ('tg-old', 'telegram', 'stop', "
                                "'2024-01-01 10:00:00')"))
    store_ = OptOutStore.from_url(url)
    assert store_.is_opted_out("tg-old")
    assert current_revision(store_.engine) == head_revision()


def test_report_indicators_prints_json_with_the_period_version_and_figures(
    database_url: str,
) -> None:
    engine = create_engine_for(database_url)
    run(database_url, "db", "upgrade")
    store(engine, [event(f"p{i}", hour=datetime(2024, 5, 3, 10), country="Egypt")
                   for i in range(7)])
    result = run(database_url, "report", "indicators", "--from", "2024-05-01", "--to",
                 "2024-05-31", "--by", "country,topic", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["period"] == {"from": "2024-05-01", "to": "2024-05-31", "timezone": "UTC"}
    assert data["definitions_version"] and data["by"] == ["country", "topic"]
    assert data["total"]["people_sensitized"] == 7
    assert data["rows"] == [{"country": "Egypt", "topic": "health_rights",
                             "people_sensitized": 7, "referrals_given": 0, "interactions": 7,
                             "unanswered_questions": 0, "people_reached_by_broadcast": 0}]
    assert data["basis"]["people_sensitized"] == "exact"
    engine.dispose()


def test_report_indicators_csv_has_a_header_the_total_and_suppressed_cells(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    run(url, "db", "upgrade")
    store(create_engine_for(url), [event("a", hour=datetime(2024, 5, 3, 10))])
    result = run(url, "report", "indicators", "--from", "2024-05-01", "--to", "2024-05-31",
                 "--by", "language")
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert table[0]["language"] == "all" and table[0]["people_sensitized"] == "<5"
    assert table[1]["language"] == "en"


@pytest.mark.parametrize(
    "args, message",
    [(["--from", "2024-13-01", "--to", "2024-12-31"], "--from must be a date"),
     (["--from", "2024-01-01", "--to", "31/12/2024"], "--to must be a date"),
     (["--from", "2024-02-01", "--to", "2024-01-01"], "--to is before --from"),
     (["--from", "2024-01-01", "--to", "2024-01-31", "--by", "country,city"], "unknown: city"),
     (["--from", "2024-01-01", "--to", "2024-01-31", "--format", "xml"], "invalid choice"),
     (["--to", "2024-01-31"], "--from")],
)
def test_bad_input_gets_a_clear_message_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(f"sqlite:///{tmp_path / 'db.sqlite3'}", "report", "indicators", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_database_is_said_plainly() -> None:
    result = run(f"postgresql://nobody@127.0.0.1:{free_port()}/none", "report", "indicators",
                 "--from", "2024-01-01", "--to", "2024-01-31")
    assert result.returncode == 1
    assert "database unavailable" in result.stderr and "Traceback" not in result.stderr


def test_db_rollup_rolls_old_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    run(url, "db", "upgrade")
    old = datetime.utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=200)
    store(create_engine_for(url), [event("a", hour=old)])
    result = run(url, "db", "rollup")
    assert result.returncode == 0, result.stderr
    assert "rolled up 1 day(s), 1 event(s)" in result.stdout
    assert run(url, "db", "rollup", "--today", "yesterday").returncode == 2


@pytest.mark.parametrize(
    "name, value",
    [("ANALYTICS_RETENTION_DAYS", "soon"), ("ANALYTICS_RETENTION_DAYS", "0"),
     ("ANALYTICS_SPOOL_MAX_EVENTS", "-1"), ("ANALYTICS_SUPPRESSION_THRESHOLD", "five"),
     ("ANALYTICS_SPOOL_PATH", "/")],
)
def test_malformed_analytics_settings_are_named_without_their_value(name: str,
                                                                      value: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert name in str(error.value) and f" {value}" not in str(error.value)
