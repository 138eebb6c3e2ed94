"""`migrant-bot broadcast ...`: create, preview, send and follow broadcasts from a terminal.

    migrant-bot broadcast create --name "Heat wave" --topic general \\
        --text en="Heat wave: drink water..." --text-file ar=alert-ar.txt \\
        --country Morocco --channel telegram --channel sms
    migrant-bot broadcast preview 3
    migrant-bot broadcast send 3          # queue, then send with a progress bar
    migrant-bot broadcast status 3
    migrant-bot broadcast worker          # send every due (scheduled) broadcast until stopped

Exit codes: 0 done, 1 the database or a vendor failed, 2 the request was refused (the message
says why), 3 the send finished with uncertain messages (see `send --resend-uncertain`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings


def add_commands(commands: Any) -> None:
    """Add the `broadcast` command and its subcommands to the parser's subcommands."""
    broadcast = commands.add_parser("broadcast", help="health messages to subscribers")
    sub = broadcast.add_subparsers(title="broadcast commands")

    create = sub.add_parser("create", help="write a broadcast (a draft until sent)")
    create.add_argument("--name", required=True)
    create.add_argument("--topic", required=True,
                        help="general, srhr, protection or vaccination")
    create.add_argument("--text", action="append", default=[], metavar="LANG=TEXT")
    create.add_argument("--text-file", action="append", default=[], metavar="LANG=PATH",
                        help="the text of a language from a UTF-8 file")
    create.add_argument("--template", action="append", default=[], metavar="LANG=HX...",
                        help="the WhatsApp content template of a language")
    create.add_argument("--template-var", action="append", default=[],
                        metavar="LANG:NAME=VALUE", help="a variable of that template")
    for name in ("country", "language", "channel"):
        create.add_argument(f"--{name}", action="append", default=[],
                            help=f"limit the audience to this {name} (repeatable)")
    create.add_argument("--at", default=None, help="send at 'YYYY-MM-DD HH:MM' (UTC)")
    create.add_argument("--by", default=None, help="who wrote it (for the record)")
    create.set_defaults(handler=cmd_create)

    preview = sub.add_parser("preview", help="recipients, segments, cost and duration")
    preview.add_argument("id", type=int)
    preview.add_argument("--format", choices=("text", "json"), default="text")
    preview.set_defaults(handler=cmd_preview)

    send = sub.add_parser("send", help="queue a broadcast and send it, with a progress bar")
    send.add_argument("id", type=int)
    send.add_argument("--resend-uncertain", action="store_true",
                      help="send again the messages a crash left uncertain (may duplicate)")
    send.add_argument("--queue-only", action="store_true",
                      help="queue it for a running `broadcast worker` and return")
    send.set_defaults(handler=cmd_send)

    status = sub.add_parser("status", help="delivery counts of a broadcast")
    status.add_argument("id", type=int)
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(handler=cmd_status)

    listing = sub.add_parser("list", help="the latest broadcasts")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=cmd_list)

    cancel = sub.add_parser("cancel", help="stop a broadcast; nothing more is sent")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(handler=cmd_cancel)

    worker = sub.add_parser("worker", help="send due broadcasts until SIGTERM or SIGINT")
    worker.set_defaults(handler=cmd_worker)


def _service(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.broadcasts.service import BroadcastService
    from bot.db import create_engine_for

    return BroadcastService(create_engine_for(settings.database_url), settings)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    from bot.broadcasts.service import BroadcastError

    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise BroadcastError(f"{option} takes LANG=VALUE")
        pairs[key.strip()] = rest
    return pairs


def _draft(args: argparse.Namespace) -> Any:
    from bot.broadcasts.service import Audience, BroadcastError, Draft, Template

    texts = _pairs(args.text, "--text")
    for language, path in _pairs(args.text_file, "--text-file").items():
        try:
            texts[language] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise BroadcastError(f"--text-file {language}: cannot read the file "
                                 f"({type(error).__name__})") from None
    variables: dict[str, dict[str, str]] = {}
    for value in args.template_var:
        language, sep, rest = value.partition(":")
        name, sep2, text = rest.partition("=")
        if not (sep and sep2 and name):
            raise BroadcastError("--template-var takes LANG:NAME=VALUE")
        variables.setdefault(language, {})[name] = text
    templates = {language: Template(sid.strip(), variables.get(language, {}))
                 for language, sid in _pairs(args.template, "--template").items()}
    stray = sorted(set(variables) - set(templates))
    if stray:
        raise BroadcastError(f"--template-var for a language without --template: "
                             f"{', '.join(stray)}")
    at = None
    if args.at:
        try:
            at = datetime.strptime(args.at, "%Y-%m-%d %H:%M")
        except ValueError:
            raise BroadcastError("--at takes 'YYYY-MM-DD HH:MM' (UTC)") from None
    return Draft(name=args.name, topic=args.topic, texts=texts,
                 audience=Audience(tuple(args.country), tuple(args.language),
                                   tuple(args.channel)),
                 templates=templates, scheduled_at=at, created_by=args.by)


def _run(args: argparse.Namespace, settings: Settings, action: Any) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.broadcasts.service import BroadcastError

    try:
        return int(action(args, settings) or 0)
    except BroadcastError as error:
        print(f"migrant-bot: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"migrant-bot: database unavailable ({type(error).__name__})", file=sys.stderr)
        return 1


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create a draft and print its id."""
    def create(args: argparse.Namespace, settings: Settings) -> int:
        broadcast_id = _service(settings).create(_draft(args))
        print(broadcast_id)
        return 0

    return _run(args, settings, create)


def _preview_text(preview: Any) -> str:
    lines = ["channel   language  recipients  skipped(no text)"]
    keys = sorted(set(preview.recipients) | set(preview.skipped_no_text))
    for key in keys:
        channel, language = key
        lines.append(f"{channel:<9} {language:<9} {preview.recipients.get(key, 0):>10}"
                     f"  {preview.skipped_no_text.get(key, 0):>16}")
    lines.append(f"total recipients: {preview.total}")
    for language in sorted(preview.sms_segments):
        lines.append(f"{language}: {preview.sms_segments[language]} SMS segment(s) "
                     f"({preview.sms_encoding[language]}), estimated cost "
                     f"{preview.cost.get(language, 0.0):.2f} {preview.currency}")
    lines.append(f"estimated cost: {sum(preview.cost.values()):.2f} {preview.currency} "
                 "(at BROADCAST_SMS_SEGMENT_PRICE / BROADCAST_WHATSAPP_PRICE)")
    lines.append(f"estimated duration: {_duration(preview.duration_seconds)} at the configured "
                 "rates")
    lines.extend(f"PROBLEM: {problem}" for problem in preview.problems)
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    """Print what sending would do."""
    def preview(args: argparse.Namespace, settings: Settings) -> int:
        result = _service(settings).preview(args.id)
        if args.format == "json":
            print(json.dumps({
                "recipients": [{"channel": c, "language": lang, "count": n}
                               for (c, lang), n in sorted(result.recipients.items())],
                "skipped_no_text": [{"channel": c, "language": lang, "count": n}
                                    for (c, lang), n in sorted(result.skipped_no_text.items())],
                "sms_segments": result.sms_segments, "sms_encoding": result.sms_encoding,
                "cost": result.cost, "currency": result.currency,
                "duration_seconds": round(result.duration_seconds, 1),
                "problems": result.problems}, ensure_ascii=False, indent=2))
        else:
            print(_preview_text(result))
        return 2 if result.problems else 0

    return _run(args, settings, preview)


def _status_text(status: Any) -> str:
    counts = " ".join(f"{state}={number}" for state, number in status.counts.items())
    lines = [f"#{status.id} {status.name} [{status.topic}] {status.state}: {counts} "
             f"(total {status.total})"]
    lines.extend(f"  {reason}: {number}" for reason, number in sorted(status.reasons.items()))
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print a broadcast's delivery counts."""
    def status(args: argparse.Namespace, settings: Settings) -> int:
        result = _service(settings).status(args.id)
        if args.format == "json":
            print(json.dumps({"id": result.id, "name": result.name, "topic": result.topic,
                              "state": result.state, "counts": result.counts,
                              "reasons": result.reasons, "total": result.total},
                             ensure_ascii=False, indent=2))
        else:
            print(_status_text(result))
        return 0

    return _run(args, settings, status)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print the latest broadcasts."""
    def listing(args: argparse.Namespace, settings: Settings) -> int:
        for status in _service(settings).list(args.limit):
            print(_status_text(status).splitlines()[0])
        return 0

    return _run(args, settings, listing)


def cmd_cancel(args: argparse.Namespace, settings: Settings) -> int:
    """Cancel a broadcast."""
    def cancel(args: argparse.Namespace, settings: Settings) -> int:
        print(_status_text(_service(settings).cancel(args.id)))
        return 0

    return _run(args, settings, cancel)


def cmd_send(args: argparse.Namespace, settings: Settings) -> int:
    """Queue a broadcast, send it with a progress bar, and print the outcome."""
    def send(args: argparse.Namespace, settings: Settings) -> int:
        from tqdm import tqdm

        from bot.broadcasts.delivery import BroadcastWorker, Progress

        service = _service(settings)
        if args.resend_uncertain:
            print(f"requeued {service.resend_uncertain(args.id)} uncertain message(s)",
                  file=sys.stderr)
        status = service.queue(args.id)
        if args.queue_only:
            print(_status_text(status))
            return 0
        remaining = status.counts["queued"] + status.counts["started"]
        worker = BroadcastWorker(service.engine, settings)
        with tqdm(total=remaining, unit="msg", file=sys.stderr, dynamic_ncols=True,
                  disable=None) as bar:
            progress = Progress(on_step=bar.update)
            _until_signal(lambda stop: worker.send(args.id, progress, stop=stop))
        final = service.status(args.id)
        print(_status_text(final))
        if final.counts["uncertain"]:
            print(f"migrant-bot: {final.counts['uncertain']} message(s) were in flight when an "
                  "earlier sender stopped and may or may not have arrived; they are not resent. "
                  f"`migrant-bot broadcast send {args.id} --resend-uncertain` sends them again "
                  "(some people may then get the message twice).", file=sys.stderr)
            return 3
        return 0

    return _run(args, settings, send)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Send due broadcasts until SIGTERM or SIGINT."""
    def work(args: argparse.Namespace, settings: Settings) -> int:
        from bot.broadcasts.delivery import BroadcastWorker

        service = _service(settings)
        worker = BroadcastWorker(service.engine, settings)

        async def forever() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            print("migrant-bot: broadcast worker running", file=sys.stderr, flush=True)
            await worker.run(stop)

        asyncio.run(forever())
        return 0

    return _run(args, settings, work)


def _until_signal(start: Any) -> None:
    """Run `start(stop)`; SIGTERM or SIGINT sets `stop`, so the windows in flight are
    recorded before the sender returns; a second signal stops at once."""
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.ensure_future(start(stop))
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if stop.is_set():
                task.cancel()
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal)
        try:
            await task
        except asyncio.CancelledError:
            pass
        if stop.is_set():
            print("migrant-bot: stopped; run the same command again to go on",
                  file=sys.stderr)

    asyncio.run(main())
