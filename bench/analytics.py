"""Analytics costs: recording overhead per turn, and `report indicators` over many events.

Prints:
* recording: the time `Analytics.record_turn` takes on the caller's thread (what a turn pays),
  and the difference it makes to a real action run (`ActionAnswerTopic.run` on a real tracker,
  with and without recording), plus how fast the writer thread stores events;
* reports: `build_report` (what `migrant-bot report indicators` runs) over 250k, 500k and 1M
  events on SQLite and on PostgreSQL (a throwaway server from Debian's binaries,
  tests/postgres.py; skipped with the reason if none starts), with no breakdown, by country and
  language, and by all four dimensions; the median of 3 runs each.

Events are realistic: 90 days with a daily rhythm, 24 topics with a long tail, 4 languages,
5 countries and "unknown", 4 channels, about 8 turns per person, 12% not understood.

Usage: .venv/bin/python bench/analytics.py [--sizes 250000,500000,1000000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.analytics import schema, service  # noqa: E402
from bot.analytics.definitions import (  # noqa: E402
    is_rights_answer,
    outcome_of_topic,
)
from bot.analytics.recorder import CELL, Recorder  # noqa: E402
from bot.analytics.report import build_report  # noqa: E402
from bot.analytics.spool import Spool  # noqa: E402
from bot.db import create_engine_for  # noqa: E402
from bot.migrations import upgrade  # noqa: E402

START = date(2024, 1, 1)
DAYS = 90
TOPICS = ["health_rights", "find_health_service", "health_cost", "emergency", "pregnancy_care",
          "contraception", "health_confidentiality", "hiv_sti", "gbv", "mental_health",
          "care_refused", "trafficking", "child_protection", "infectious_disease",
          "vaccination", "human_help", "greet", "help", "thank", "goodbye", "choose_country",
          "choose_language", "out_of_scope", "subscribe"]
TOPIC_WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(TOPICS))]
LANGUAGES, LANGUAGE_WEIGHTS = ["fr", "ar", "en", "es"], [40, 30, 20, 10]
COUNTRIES = ["Morocco", "Tunisia", "Egypt", "Libya", "Yemen", "unknown"]
COUNTRY_WEIGHTS = [30, 20, 15, 10, 10, 15]
CHANNELS, CHANNEL_WEIGHTS = ["telegram", "whatsapp", "sms", "rest"], [40, 30, 20, 10]
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 8, 6, 4, 2]
BY = [(), ("country", "language"), ("country", "language", "channel", "topic")]


def events(count: int, seed: int) -> list[tuple]:
    """Return `count` event rows (tuples in the events table's column order)."""
    rng = random.Random(seed)
    people = max(1, count // 8)
    person_ids = [rng.getrandbits(63) for _ in range(min(people, 200_000))]
    profiles = {}
    topics = rng.choices(TOPICS, TOPIC_WEIGHTS, k=count)
    days = rng.choices(range(DAYS), k=count)
    hours = rng.choices(range(24), HOUR_WEIGHTS, k=count)
    rows = []
    for i in range(count):
        person = person_ids[min(int(rng.paretovariate(1.2)) - 1, len(person_ids) - 1)
                            if rng.random() < 0.3 else rng.randrange(len(person_ids))]
        profile = profiles.get(person)
        if profile is None:
            profile = profiles[person] = (
                rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
                rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0],
                rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0])
        topic = topics[i]
        outcome = outcome_of_topic(topic)
        if rng.random() < 0.12:
            topic, outcome = "nlu_fallback", "fallback"
        hour = datetime.combine(START + timedelta(days=days[i]), datetime.min.time()) + \
            timedelta(hours=hours[i])
        rows.append((uuid.UUID(int=rng.getrandbits(128)).hex, hour, *profile, topic, outcome,
                     person, "bench001"))
    return rows


COLUMNS = [column.name for column in schema.events.columns]


def load(engine: Engine, rows: list[tuple]) -> None:
    """Bulk-insert rows (executemany on SQLite, COPY on PostgreSQL) and their daily counts.

    The recorder keeps the daily counts as it writes; loading around it, the bench adds them.
    """
    cells = Counter((row[1].date(), *row[2:7]) for row in rows)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(str(value) for value in row) + "\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY analytics_events ({', '.join(COLUMNS)}) FROM STDIN",
                               buffer)
        else:
            marks = ", ".join("?" * len(COLUMNS))
            cursor.executemany(f"INSERT INTO analytics_events ({', '.join(COLUMNS)}) "
                               f"VALUES ({marks})",
                               [(row[0], row[1].strftime("%Y-%m-%d %H:%M:%S.000000"),
                                 *row[2:]) for row in rows])
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        statement = _upsert(engine, schema.daily)
        statement = statement.on_conflict_do_update(
            index_elements=list(CELL),
            set_={"events": schema.daily.c.events + statement.excluded.events})
        connection.execute(statement, [{**dict(zip(CELL, cell, strict=True)), "events": n}
                                       for cell, n in cells.items()])
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _upsert(engine: Engine, table: schema.Table):  # type: ignore[no-untyped-def]
    module = postgresql if engine.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def time_reports(engine: Engine) -> dict[tuple[str, ...], float]:
    """Return the median seconds of build_report per breakdown."""
    end = START + timedelta(days=DAYS - 1)
    results = {}
    for by in BY:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            build_report(engine, START, end, by, threshold=5)
            runs.append(time.perf_counter() - started)
        results[by] = statistics.median(runs)
    return results


def bench_reports(name: str, engine: Engine, sizes: list[int]) -> None:
    upgrade(engine)
    loaded = 0
    print(f"\nreport indicators on {name} (median of 3; 90 days, whole period)")
    print(f"{'events':>10} {'load s':>8}  " + "  ".join(f"{_label(by):>22}" for by in BY))
    for size in sizes:
        started = time.perf_counter()
        load(engine, events(size - loaded, seed=size))
        load_seconds = time.perf_counter() - started
        loaded = size
        timings = time_reports(engine)
        print(f"{size:>10,} {load_seconds:>8.1f}  "
              + "  ".join(f"{timings[by]:>20.3f} s" for by in BY)
              + f"  ({check_people(engine):,} people sensitized, checked)", flush=True)


def check_people(engine: Engine) -> int:
    """Return people sensitized over the whole period, after checking it against the events."""
    end = START + timedelta(days=DAYS - 1)
    reported = build_report(engine, START, end, (), threshold=0).total["people_sensitized"]
    events_table = schema.events
    with engine.connect() as connection:
        direct = connection.execute(
            select(func.count(func.distinct(events_table.c.person)))
            .where(is_rights_answer(events_table.c.topic, events_table.c.outcome))).scalar_one()
    if reported != direct:
        raise SystemExit(f"people sensitized {reported} differs from the events' {direct}")
    return int(direct)


def _label(by: tuple[str, ...]) -> str:
    return "by " + ",".join(by) if by else "totals"


def bench_recording(folder: Path) -> None:
    engine = create_engine_for(f"sqlite:///{folder / 'record.sqlite3'}")
    upgrade(engine)
    analytics = service.Analytics(Recorder(engine, Spool(folder / "spool.jsonl", 100_000)),
                                  b"bench-key-" + b"k" * 30)
    count = 50_000
    started = time.perf_counter()
    for i in range(count):
        analytics.record_turn(f"tg-{i % 5000:032x}", channel="telegram", language="fr",
                              country="Morocco", topic="health_rights", outcome="answered",
                              message_id=uuid.uuid4().hex)
    enqueue = (time.perf_counter() - started) / count
    started = time.perf_counter()
    analytics.recorder.flush(120)
    drained = time.perf_counter() - started
    print("recording (caller's thread)")
    print(f"  record_turn: {enqueue * 1e6:.1f} us per turn ({count:,} turns)")
    print(f"  writer: {count:,} events stored in {drained + enqueue * count:.2f} s "
          f"(SQLite, batches of {analytics.recorder.batch_size})")
    previous = service.install(analytics)
    try:
        with_recording, without = _action_turns()
    finally:
        service.install(previous)
        analytics.close()
    print(f"  ActionAnswerTopic.run: {with_recording * 1e3:.3f} ms with recording, "
          f"{without * 1e3:.3f} ms without: {(with_recording - without) * 1e3:+.3f} ms per turn")


def _action_turns(turns: int = 3000) -> tuple[float, float]:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.topics import ActionAnswerTopic

    def tracker() -> Tracker:
        latest = {"text": "hopital", "intent": {"name": "health_rights", "confidence": 0.9},
                  "entities": [], "intent_ranking": [], "language": "fr",
                  "language_confidence": 0.9, "language_method": "bench",
                  "language_decisive": True}
        user = {"event": "user", "text": "hopital", "parse_data": latest,
                "input_channel": "telegram", "message_id": uuid.uuid4().hex, "metadata": {}}
        slots = {"language": "fr", "country": "Morocco", "choices": None, "pending_topic": None,
                 "fallback_count": 0.0}
        return Tracker("tg-" + "0" * 32, slots, latest, [user], False, None, {},
                       "action_listen")

    action = ActionAnswerTopic()

    async def run(record: bool) -> float:
        type(action).records_turn = record
        samples = []
        for _ in range(turns):
            current = tracker()
            started = time.perf_counter()
            await action.run(CollectingDispatcher(), current, {})
            samples.append(time.perf_counter() - started)
        return statistics.mean(samples)

    try:
        asyncio.run(run(True))  # warm-up: content cache, the recorder's first batch
        results = [(asyncio.run(run(True)), asyncio.run(run(False))) for _ in range(3)]
    finally:
        type(action).records_turn = True
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250000,500000,1000000")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="migrant-bot-bench-") as folder:
        bench_recording(Path(folder))
        bench_reports("SQLite", create_engine_for(f"sqlite:///{folder}/bench.sqlite3"), sizes)
        if not args.skip_postgres:
            from tests.postgres import PostgresUnavailable, ThrowawayPostgres

            postgres = ThrowawayPostgres()
            try:
                postgres.start()
            except PostgresUnavailable as error:
                print(f"\nPostgreSQL skipped: {error}")
                return 0
            try:
                bench_reports("PostgreSQL", create_engine_for(postgres.create_database()), sizes)
            finally:
                postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
