"""The `migrant-bot` command: train, chat, serve, classify, telegram, content, db, report,
broadcast."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

os.environ["RASA_TELEMETRY_ENABLED"] = "false"  # before anything imports Rasa

from bot.paths import MODELS_DIR, NLU_DATA_DIR, REPO_ROOT  # noqa: E402
from bot.settings import Settings, SettingsError  # noqa: E402

if TYPE_CHECKING:
    from bot.analytics.maintenance import PeriodicRollup
    from bot.content import Content

DEFAULT_MODEL = MODELS_DIR / "current.tar.gz"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"migrant-bot: configuration error: {error}", file=sys.stderr)
        return 2
    return int(args.handler(args, settings) or 0)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="migrant-bot", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    train = commands.add_parser("train", help="train the NLU and dialogue model")
    train.add_argument("--force", action="store_true", help="train even if nothing changed")
    train.set_defaults(handler=cmd_train)

    serve = commands.add_parser("serve", help="run the assistant's server")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument("--action-port", type=int, default=None,
                       help="run the custom actions in a separate rasa-sdk action server on "
                       "this port (default: inside each Rasa process)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (0.0.0.0 behind a reverse proxy)")
    serve.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    serve.add_argument("--workers", type=int, default=None,
                       help="Rasa processes sharing the port (Sanic workers), one per core "
                       "for throughput; needs REDIS_URL (default SERVE_WORKERS, else 1)")
    serve.set_defaults(handler=cmd_serve)

    chat = commands.add_parser("chat", help="talk to the assistant in the terminal")
    chat.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    chat.set_defaults(handler=cmd_chat)

    classify = commands.add_parser(
        "classify", help="read messages on stdin, one per line; write one JSON object per line")
    classify.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    classify.set_defaults(handler=cmd_classify)

    telegram = commands.add_parser("telegram", help="Telegram set-up")
    telegram_commands = telegram.add_subparsers(title="telegram commands")
    set_webhook = telegram_commands.add_parser(
        "set-webhook", help="register PUBLIC_BASE_URL/webhooks/telegram/webhook with the secret")
    set_webhook.set_defaults(handler=cmd_telegram_set_webhook)

    content = commands.add_parser("content", help="work with content/")
    content_commands = content.add_subparsers(title="content commands")
    check = content_commands.add_parser("check", help="check every answer before it goes out")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--max-age-days", type=int, default=None,
                       help="review age that triggers a warning (default CONTENT_MAX_AGE_DAYS)")
    check.add_argument("--content-dir", type=Path, default=None)
    check.add_argument("--directory-max-age-days", type=int, default=None,
                       help="verification age that flags a directory entry "
                       "(default DIRECTORY_MAX_AGE_DAYS)")
    check.set_defaults(handler=cmd_content_check)

    export = content_commands.add_parser(
        "export", help="write the directory and the answers as spreadsheets (CSV)")
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("--out", type=Path, required=True, help="folder to write the sheets to")
    export.add_argument("--content-dir", type=Path, default=None)
    export.set_defaults(handler=cmd_content_export)

    import_ = content_commands.add_parser(
        "import", help="read edited sheets back into content/, reporting what changed")
    import_.add_argument("path", type=Path,
                         help="a folder with directory.csv and/or answers.csv, or one of them")
    import_.add_argument("--dry-run", action="store_true", help="report, write nothing")
    import_.add_argument("--content-dir", type=Path, default=None)
    import_.set_defaults(handler=cmd_content_import)

    cover = content_commands.add_parser(
        "coverage", help="per country and language: topics and services present, verified, "
        "stale")
    cover.add_argument("--format", choices=("text", "csv"), default="text")
    cover.add_argument("--by", choices=("language", "city", "translation"), default="language",
                       help="per country and language (topics and services, then texts "
                       "reviewed per language), per city (directory services with a number, "
                       "verified, by type), or every untranslated or unreviewed text")
    cover.add_argument("--content-dir", type=Path, default=None)
    cover.set_defaults(handler=cmd_content_coverage)

    database = commands.add_parser("db", help="the database: schema and retention")
    database_commands = database.add_subparsers(title="db commands")
    upgrade = database_commands.add_parser(
        "upgrade", help="bring the database at DATABASE_URL to the newest schema")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    rollup = database_commands.add_parser(
        "rollup", help="roll per-turn events older than ANALYTICS_RETENTION_DAYS into counts")
    rollup.add_argument("--today", default=None, help="YYYY-MM-DD (default: today, UTC)")
    rollup.set_defaults(handler=cmd_db_rollup)

    report = commands.add_parser("report", help="indicators for programme reports")
    report_commands = report.add_subparsers(title="report commands")
    indicators = report_commands.add_parser(
        "indicators", help="people sensitized, referrals given, interactions, unanswered "
        "questions over a period")
    indicators.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD (UTC)")
    indicators.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, included")
    indicators.add_argument("--by", default="",
                            help="comma-separated: country, language, channel, topic")
    indicators.add_argument("--format", choices=("csv", "json"), default="csv")
    indicators.set_defaults(handler=cmd_report_indicators)

    from bot.broadcasts.cli import add_commands as add_broadcast_commands

    add_broadcast_commands(commands)
    _add_dashboard_commands(commands)
    return parser


def train_command(content_dir: Path, generated: Path, *, force: bool = False) -> list[str]:
    """Return the `rasa train` command, writing the staff phrasings' training file first.

    The phrasings of `content_dir/phrasings/` (see `bot.content.phrasings`) become
    `generated/phrasings.yml`, trained on beside `bot/nlu/`; without any the folder is empty.
    """
    from bot.content.phrasings import load_phrasings, training_yaml

    files = load_phrasings(content_dir)
    generated.mkdir(parents=True, exist_ok=True)
    target = generated / "phrasings.yml"
    if any(texts for f in files for texts in f.by_intent.values()):
        target.write_text(training_yaml(files), encoding="utf-8")
    else:
        target.unlink(missing_ok=True)
    return rasa_train([NLU_DATA_DIR, generated], MODELS_DIR,
                      name=DEFAULT_MODEL.name.removesuffix(".tar.gz"), force=force)


def rasa_train(data: list[Path], out: Path, *, config: Path = REPO_ROOT / "config.yml",
               name: str | None = None, force: bool = False) -> list[str]:
    """Return a `rasa train` command on `data` with `config` and the domain, into `out`."""
    command = [sys.executable, "-m", "rasa", "train", "--config", str(config),
               "--domain", str(REPO_ROOT / "domain.yml"),
               "--data", *map(str, data), "--out", str(out)]
    if name:
        command += ["--fixed-model-name", name]
    if force:
        command.append("--force")
    return command


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train with Rasa into models/current.tar.gz, staff phrasings included."""
    from bot.content.check import check_phrasings
    from bot.server import child_env

    content = _load(settings.content_dir)
    if content is None:
        return 1
    problems = check_phrasings(settings.content_dir, content.languages)
    if problems:
        for finding in problems:
            print(f"migrant-bot: {finding}", file=sys.stderr)
        print("migrant-bot: fix the phrasings above before training", file=sys.stderr)
        return 1
    command = train_command(settings.content_dir, REPO_ROOT / "var" / "training",
                            force=args.force)
    return subprocess.call(command, cwd=REPO_ROOT, env=child_env())


def _require_model(model: Path) -> bool:
    if model.is_file():
        return True
    print(f"migrant-bot: no model at {model}; run 'migrant-bot train' (or 'make run')",
          file=sys.stderr)
    return False


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run both servers until SIGTERM or SIGINT."""
    from bot.server import Server, describe_channels

    if not _require_model(args.model):
        return 1
    if args.workers is not None and not 1 <= args.workers <= 32:
        print("migrant-bot: --workers must be between 1 and 32", file=sys.stderr)
        return 2
    if (args.workers or settings.serve_workers) > 1 and not settings.redis_url:
        print("migrant-bot: several workers need REDIS_URL: they share the conversations, "
              "Rasa's locks and the channels' state through Redis (see Deployment in the "
              "README)", file=sys.stderr)
        return 2
    upkeep = _prepare_database(settings)
    server = Server(settings, args.model, port=args.port, action_port=args.action_port,
                    host=args.host, workers=args.workers)
    server.start()
    if not server.wait_ready():
        print("migrant-bot: the servers did not start", file=sys.stderr)
        server.stop()
        return 1
    print(f"migrant-bot: serving on {server.url} (channels: {describe_channels(settings)})",
          flush=True)
    if server.dashboard_url:
        print(f"migrant-bot: staff dashboard on {server.dashboard_url}", flush=True)
    try:
        return server.wait()
    finally:
        if upkeep is not None:
            upkeep.stop()


def _prepare_database(settings: Settings) -> PeriodicRollup | None:
    """Upgrade the schema, then roll up old events now and every few hours.

    An unreachable database does not stop the assistant: answers do not need it, and analytics
    events wait in the spool until it answers (which upgrades it then).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from bot.analytics.maintenance import PeriodicRollup, upgrade_database

    try:
        upgrade_database(settings)
    except SQLAlchemyError as error:
        print(f"migrant-bot: warning: database unavailable ({type(error).__name__}); "
              "serving anyway, analytics events wait in the spool", file=sys.stderr)
        return None
    return PeriodicRollup(settings).start()


def cmd_telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    """Register the webhook and the command menu with the Bot API."""
    import asyncio

    from bot.channels.base import ChannelStats, PermanentFailure, TemporaryFailure
    from bot.channels.telegram import TelegramSender

    if settings.telegram is None:
        print("migrant-bot: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first",
              file=sys.stderr)
        return 2
    if not settings.public_base_url:
        print("migrant-bot: set PUBLIC_BASE_URL (the https address Telegram will call)",
              file=sys.stderr)
        return 2
    url = f"{settings.public_base_url}/webhooks/telegram/webhook"
    telegram = settings.telegram

    async def register() -> None:
        sender = TelegramSender(telegram, ChannelStats())
        try:
            await sender.set_webhook(url, telegram.webhook_secret)
        finally:
            await sender.close()

    try:
        asyncio.run(register())
    except (PermanentFailure, TemporaryFailure) as error:
        print(f"migrant-bot: Telegram refused the webhook: {error}", file=sys.stderr)
        return 1
    print(f"migrant-bot: Telegram will send updates to {url}")
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Start both servers on free ports and talk to them from the terminal."""
    from bot.chat import chat_loop
    from bot.server import Server, free_port

    if not _require_model(args.model):
        return 1
    server = Server(settings, args.model, port=free_port())
    print("Starting the assistant (about half a minute)...", flush=True)
    server.start()
    try:
        if not server.wait_ready():
            print("migrant-bot: the servers did not start", file=sys.stderr)
            return 1
        return chat_loop(server.url, sys.stdin, sys.stdout)
    finally:
        server.stop()


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    """Classify stdin lines with the model, loaded once."""
    from bot.classify import classify_stream

    if not _require_model(args.model):
        return 1
    return classify_stream(args.model, sys.stdin, sys.stdout)


def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print every finding; exit 1 when there is an error."""
    from bot.content.check import check_content

    root = args.content_dir or settings.content_dir
    max_age = args.max_age_days if args.max_age_days is not None else settings.content_max_age_days
    directory_age = (args.directory_max_age_days if args.directory_max_age_days is not None
                     else settings.directory_max_age_days)
    findings = check_content(root, max_age_days=max_age, strict=args.strict,
                             directory_max_age_days=directory_age)
    for finding in findings:
        print(finding)
    errors = sum(1 for f in findings if f.level == "error")
    warnings = len(findings) - errors
    print(f"content check: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def _load(root: Path) -> Content | None:
    """Return the content below `root`, or None after saying why it cannot be read."""
    from bot.content import ContentError, load_content

    try:
        return load_content(root)
    except ContentError as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return None


def cmd_content_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write directory.csv and answers.csv for review in a spreadsheet."""
    from bot.content.sheets import export_sheets

    if args.format == "xlsx":
        print("migrant-bot: XLSX needs openpyxl, which is not installed; use --format csv "
              "(spreadsheet programs open it)", file=sys.stderr)
        return 2
    content = _load(args.content_dir or settings.content_dir)
    if content is None:
        return 1
    for path in export_sheets(content, args.out):
        print(f"migrant-bot: wrote {path}")
    return 0


def cmd_content_import(args: argparse.Namespace, settings: Settings) -> int:
    """Validate edited sheets, report the changes, and write them unless --dry-run."""
    from bot.content import ContentError
    from bot.content.sheets import import_sheets

    root = args.content_dir or settings.content_dir
    try:
        result = import_sheets(Path(root), args.path, dry_run=args.dry_run)
    except ContentError as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return 1
    for error in result.errors:
        print(f"ERROR: {error}")
    if result.errors:
        print(f"content import: {len(result.errors)} error(s), nothing written")
        return 1
    for change in result.changes:
        print(f"CHANGED: {change}")
    for path in result.written:
        print(f"WROTE: {path}")
    print(f"content import: {len(result.changes)} change(s), {len(result.written)} file(s) "
          f"written{' (dry run: nothing written)' if args.dry_run else ''}")
    return 0


def cmd_content_coverage(args: argparse.Namespace, settings: Settings) -> int:
    """Print what is present, verified and stale per country and language."""
    from bot.content.coverage import (
        city_coverage,
        city_coverage_csv,
        city_coverage_text,
        coverage,
        coverage_csv,
        coverage_text,
        review_csv,
        review_list_text,
        review_text,
    )
    from bot.content.model import ContentError
    from bot.content.translations import review

    content = _load(args.content_dir or settings.content_dir)
    if content is None:
        return 1
    if args.by == "city":
        cities = city_coverage(content, directory_max_age_days=settings.directory_max_age_days)
        sys.stdout.write(city_coverage_csv(cities) if args.format == "csv"
                         else city_coverage_text(cities) + "\n")
        return 0
    try:
        reviews = review(content)
    except ContentError as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return 1
    if args.by == "translation":
        sys.stdout.write(review_csv(reviews) if args.format == "csv"
                         else review_list_text(reviews) + "\n")
        return 0
    rows = coverage(content, max_age_days=settings.content_max_age_days,
                    directory_max_age_days=settings.directory_max_age_days)
    sys.stdout.write(coverage_csv(rows) if args.format == "csv"
                     else f"{coverage_text(rows)}\n\n{review_text(reviews)}\n")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Upgrade the database to the newest schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.analytics.maintenance import upgrade_database

    try:
        revision = upgrade_database(settings)
    except SQLAlchemyError as error:
        print(f"migrant-bot: cannot upgrade the database ({type(error).__name__})",
              file=sys.stderr)
        return 1
    print(f"migrant-bot: database schema at revision {revision}")
    return 0


def cmd_db_rollup(args: argparse.Namespace, settings: Settings) -> int:
    """Roll old per-turn events into daily counts and closed-period unique counts."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.analytics.maintenance import rollup
    from bot.analytics.report import ReportError, parse_day

    try:
        today = parse_day(args.today, "--today") if args.today else None
        result = rollup(settings, today)
    except ReportError as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"migrant-bot: database unavailable ({type(error).__name__})", file=sys.stderr)
        return 1
    through = result.rolled_through.isoformat() if result.rolled_through else "nothing"
    print(f"migrant-bot: rolled up {result.days_rolled} day(s), {result.events_rolled} "
          f"event(s); {result.months_closed} month(s) closed; aggregates through {through}")
    return 0


def cmd_report_indicators(args: argparse.Namespace, settings: Settings) -> int:
    """Print the indicators of a period as CSV or JSON."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.analytics.report import ReportError, build_report, parse_by, parse_day
    from bot.db import create_engine_for
    from bot.migrations import ensure_schema

    try:
        start = parse_day(args.start, "--from")
        end = parse_day(args.end, "--to")
        by = parse_by(args.by)
        engine = create_engine_for(settings.database_url)
        ensure_schema(engine)
        report = build_report(engine, start, end, by, settings.analytics_suppression_threshold)
    except ReportError as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"migrant-bot: database unavailable ({type(error).__name__})", file=sys.stderr)
        return 1
    sys.stdout.write(report.to_json() + "\n" if args.format == "json" else report.to_csv())
    return 0


# -- the staff dashboard and its accounts -------------------------------------------------------

def _add_dashboard_commands(commands: argparse._SubParsersAction) -> None:
    from bot.dashboard.accounts import ROLES

    dashboard = commands.add_parser("dashboard", help="run the staff dashboard (a web app)")
    dashboard.add_argument("--port", type=int, default=8080)
    dashboard.add_argument("--host", default="127.0.0.1",
                           help="interface to listen on (0.0.0.0 behind a reverse proxy)")
    dashboard.set_defaults(handler=cmd_dashboard)

    staff = commands.add_parser("staff", help="the dashboard's staff accounts")
    staff_commands = staff.add_subparsers(title="staff commands")
    add = staff_commands.add_parser("add", help="create an account (asks for its password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin")
    add.set_defaults(handler=cmd_staff_add)
    listing = staff_commands.add_parser("list", help="list the accounts and their roles")
    listing.set_defaults(handler=cmd_staff_list)
    remove = staff_commands.add_parser("remove", help="delete an account and its sessions")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_staff_remove)
    set_role = staff_commands.add_parser("set-role", help="change an account's role")
    set_role.add_argument("name")
    set_role.add_argument("role", choices=ROLES)
    set_role.set_defaults(handler=cmd_staff_set_role)
    reset = staff_commands.add_parser("reset-password", help="set a new password (asks for it)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of stdin")
    reset.set_defaults(handler=cmd_staff_reset_password)


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Run the dashboard until SIGTERM or SIGINT."""
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from bot.broadcasts.service import BroadcastError, BroadcastService
    from bot.dashboard import create_app
    from bot.db import create_engine_for
    from bot.migrations import ensure_schema

    engine = create_engine_for(settings.database_url)
    try:
        ensure_schema(engine)
    except SQLAlchemyError as error:
        print(f"migrant-bot: database unavailable ({type(error).__name__})", file=sys.stderr)
        return 1
    broadcasts = None
    try:
        broadcasts = BroadcastService(engine, settings)
    except BroadcastError as error:
        print(f"migrant-bot: dashboard without broadcasts: {error}", file=sys.stderr)
    app = create_app(settings, engine, broadcasts=broadcasts)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"migrant-bot: dashboard on http://{host}:{args.port}", flush=True)
    # No access log: it would keep staff addresses; the audit log records what matters.
    # Protocols chosen, not detected: Rasa pins websockets 10, which uvicorn 0.54 cannot use,
    # and the dashboard has no websocket; h11 on asyncio is plenty for a few staff.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, server_header=False,
                log_level=settings.log_level.lower(), proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", ws="none", http="h11", loop="asyncio")
    return 0


def _accounts(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.dashboard.accounts import Accounts
    from bot.dashboard.app import dashboard_key
    from bot.db import create_engine_for
    from bot.migrations import ensure_schema

    engine = create_engine_for(settings.database_url)
    ensure_schema(engine)
    return Accounts(engine, dashboard_key(settings))


def _operator() -> str:
    """Return who ran a staff command, for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


def _read_password(args: argparse.Namespace) -> str | None:
    """Return the new password from stdin or typed twice; None if the two differ."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        print("migrant-bot: the two passwords differ", file=sys.stderr)
        return None
    return first


def _staff_command(action):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import SQLAlchemyError

    from bot.dashboard.accounts import AccountError
    from bot.dashboard.passwords import PasswordError

    try:
        return action()
    except (AccountError, PasswordError) as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"migrant-bot: database unavailable ({type(error).__name__})", file=sys.stderr)
        return 1


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create a staff account; the password is never a default."""
    password = _read_password(args)
    if password is None:
        return 2

    def add() -> int:
        staff = _accounts(settings).add(args.name, args.role, password, by=_operator())
        print(f"migrant-bot: staff account {staff.name} ({staff.role}) added")
        return 0

    return int(_staff_command(add))


def cmd_staff_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every account: name, role, creation date."""

    def listing() -> int:
        for staff in _accounts(settings).list():
            print(f"{staff.name}\t{staff.role}\t{staff.created_at.date().isoformat()}")
        return 0

    return int(_staff_command(listing))


def cmd_staff_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Delete an account."""

    def remove() -> int:
        _accounts(settings).remove(args.name, by=_operator())
        print(f"migrant-bot: staff account {args.name.strip().lower()} removed")
        return 0

    return int(_staff_command(remove))


def cmd_staff_set_role(args: argparse.Namespace, settings: Settings) -> int:
    """Change an account's role (its sessions end)."""

    def set_role() -> int:
        staff = _accounts(settings).set_role(args.name, args.role, by=_operator())
        print(f"migrant-bot: staff account {staff.name} is now {staff.role}")
        return 0

    return int(_staff_command(set_role))


def cmd_staff_reset_password(args: argparse.Namespace, settings: Settings) -> int:
    """Set a new password (the account's sessions end)."""
    password = _read_password(args)
    if password is None:
        return 2

    def reset() -> int:
        _accounts(settings).reset_password(args.name, password, by=_operator())
        print(f"migrant-bot: password of {args.name.strip().lower()} changed")
        return 0

    return int(_staff_command(reset))


if __name__ == "__main__":
    sys.exit(main())
