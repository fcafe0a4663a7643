"""The command line: ``python -m bot …`` (also installed as ``nhanong``).

Every command exits non-zero with a one-line reason on bad input, and ``run``
with a one-line reason (no traceback) on any start-up failure.  Files the bot
creates (database, its -wal/-shm, backups, exports) are private to its user:
every command runs under umask 077.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from . import cli_courses, cli_reports
from .config import ConfigError, Settings, load_settings
from .content import ContentError, check
from .i18n import CatalogError
from .store import Store, StoreError

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nhanong", description="Nhà Nông — the union's chatbot")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run", help="serve every configured channel until SIGINT/SIGTERM")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--as-staff", action="store_true", help="talk as a staff member")
    chat.add_argument("--user", default="local", help="console user id (default: local)")
    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="dbcmd", required=True)
    dbsub.add_parser("migrate", help="apply pending migrations")
    dbsub.add_parser("check", help="check the database's integrity (exit 1 if damaged)")
    backup = dbsub.add_parser("backup", help="copy the live database to FILE")
    backup.add_argument("file", type=Path)
    faq = sub.add_parser("faq", help='answer questions as the bot would; "faq gaps" lists '
                         "the questions it could not answer")
    faq.add_argument("question", nargs="*", help="the question (none: one per line on stdin)")
    faq.add_argument("--json", action="store_true", help="print JSON objects")
    bc = sub.add_parser("broadcast", help="plan, follow and cancel broadcasts")
    bsub = bc.add_subparsers(dest="bccmd", required=True)
    create = bsub.add_parser("create", help="plan a broadcast; prints its id")
    create.add_argument("--text", required=True, help="the message (Markdown: **bold**, _italic_)")
    create.add_argument("--file", help="a picture to send with it (.jpg, .png, .webp)")
    create.add_argument("--segment", default="", help="who gets it, e.g. commune=Sơn Động,role=coop")
    create.add_argument("--at", help="when to send (ISO time, e.g. 2026-12-01T07:30; local zone)")
    create.add_argument("--expires", help="drop copies not delivered by then (ISO time)")
    status = bsub.add_parser("status", help="counts per outcome")
    status.add_argument("id", type=int)
    status.add_argument("--json", action="store_true")
    cancel = bsub.add_parser("cancel", help="stop what is not yet sent")
    cancel.add_argument("id", type=int)
    resend = bsub.add_parser("resend", help="send again to those whose copy failed")
    resend.add_argument("id", type=int)
    content = sub.add_parser("content", help="content tools")
    csub = content.add_subparsers(dest="contentcmd", required=True)
    csub.add_parser("check", help="validate every content file")
    cli_reports.add_parsers(sub, cli_courses.add_parsers(sub))
    return p


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB logs a traceback for an answer that is not JSON, then raises an error that
    # says the same (start-up prints it in one line; sends map it to a SendError).
    logging.getLogger("telegram.request").setLevel(logging.CRITICAL)


async def _run(settings: Settings) -> int:
    from .app import App

    problems = check(settings.content)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"refusing to start: {len(problems)} content problem(s)", file=sys.stderr)
        return 1
    app = await App(settings).open()
    if not app.channels:
        await app.stop()
        print("no channel configured: set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN (or try `python -m bot chat`)",
              file=sys.stderr)
        return 2
    await app.serve()
    return 0


async def _chat(settings: Settings, as_staff: bool, user: str) -> int:
    from .app import App
    from .channels.console import ConsoleChannel

    if as_staff:
        settings = settings.model_copy(update={"admins": settings.admins | {("console", user)}})
    console = ConsoleChannel(user_id=user)
    app = await App(settings, channels=[console]).open()
    print("Nhà Nông — gõ /start để bắt đầu, Ctrl-D để thoát. (type /start; Ctrl-D quits)")
    await console.start(app.engine.handle)
    try:
        await console.wait_closed()
    finally:
        await app.stop()
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    store = Store(settings.db)
    # Only migrate may create the database: a backup or check of a mistyped path must fail.
    await store.open(migrate=False, create=args.dbcmd == "migrate")
    try:
        if args.dbcmd == "check":
            problems = await store.db.integrity()
            for line in problems:
                print(line)
            if problems:
                print(f"{settings.db}: the database is damaged ({len(problems)} problem(s) shown); "
                      "restore it from a backup", file=sys.stderr)
                return 1
            print(f"{settings.db}: ok")
            return 0
        if args.dbcmd == "migrate":
            applied = await store.db.migrate()
            print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
        else:
            await store.db.migrate()
            await store.db.backup(args.file)
            print(f"backup written to {args.file}")
    finally:
        await store.close()
    return 0


def _faq(settings: Settings, words: list[str], as_json: bool) -> int:
    import json

    from .content import load_library
    from .faq.service import faq_service
    from .render import markdown_blocks

    library = load_library(settings.content)
    faq = faq_service(library)

    def one(question: str) -> str:
        a = faq.answer(question, settings.locale)
        entry = library.faq_entry(a.id, settings.locale) if a.id else None
        text = "\n\n".join(markdown_blocks(entry.answer, "plain")) if entry else None
        if as_json:
            return json.dumps({"id": a.id, "score": a.score, "answer": text,
                               "suggestions": a.suggestions}, ensure_ascii=False)
        if entry:
            return f"[{a.id}] ({a.score:.2f}) {entry.question}\n{text}"
        return f"[không chắc chắn / not confident] ({a.score:.2f}) gợi ý: {', '.join(a.suggestions)}"

    if words:
        print(one(" ".join(words)))
        return 0
    for line in sys.stdin:  # one line out per question in, for checking a whole list
        q = line.strip()
        if not q:
            continue
        if as_json:
            print(one(q), flush=True)
        else:
            a = faq.answer(q, settings.locale)
            print(f"{a.id or '-'}\t{a.score:.2f}\t{q}", flush=True)
    return 0


async def _faq_gaps(settings: Settings) -> int:
    import getpass

    from .clock import SystemClock

    store = await Store(settings.db).open()
    try:
        rows = await store.questions.gaps(100)
        await store.audit.record(f"cli:{getpass.getuser()}", "faq.gaps", SystemClock().now(),
                                 rows=len(rows))
    finally:
        await store.close()
    print("asked\tanswered_by_staff\tlast_asked\tquestion")
    for text, asked, answered, last in rows:
        print(f"{asked}\t{answered}\t{last[:16]}\t{' '.join(text.split())}")
    return 0


def _when(value: str | None, settings: Settings, what: str):
    from datetime import datetime

    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} '{value}' is not an ISO time such as 2026-12-01T07:30") from None
    return when if when.tzinfo else when.replace(tzinfo=settings.zone)


async def _broadcast(settings: Settings, args: argparse.Namespace) -> int:
    import getpass
    import json

    from .broadcast import BroadcastError, create_broadcast
    from .clock import SystemClock
    from .content import load_library
    from .geo import communes_of

    now = SystemClock().now()
    actor = f"cli:{getpass.getuser()}"
    store = await Store(settings.db).open()
    try:
        if args.bccmd == "create":
            try:
                at, expires = _when(args.at, settings, "--at"), _when(args.expires, settings, "--expires")
                topics = set(load_library(settings.content).topics)
                bid, audience = await create_broadcast(
                    store, settings, communes_of(settings.province), topics, by=actor,
                    text=args.text, image=args.file, segment=args.segment, at=at,
                    expires=expires, now=now)
            except (BroadcastError, ValueError) as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            print(bid)
            print(f"planned for about {audience} member(s); the running bot sends it", file=sys.stderr)
            return 0
        b = await store.broadcasts.get(args.id)
        if b is None:
            print(f"error: no broadcast {args.id}", file=sys.stderr)
            return 2
        if args.bccmd == "cancel":
            n = await store.broadcasts.cancel(b.id, now)
            if n is None:
                print(f"broadcast {b.id} is already {b.state}")
                return 0
            await store.audit.record(actor, "broadcast.cancel", now, broadcast=b.id)
            print(f"broadcast {b.id} cancelled; {n} copy(ies) will not be sent")
            return 0
        if args.bccmd == "resend":
            n = await store.broadcasts.resend_failed(b.id, now)
            await store.audit.record(actor, "broadcast.resend", now, broadcast=b.id, copies=n)
            print(f"broadcast {b.id}: {n} failed copy(ies) will be sent again")
            return 0
        counts = await store.broadcasts.status(b.id)
        waiting = counts["pending"] + counts["queued"] + counts["inflight"]
        out = {"planned": sum(counts.values()), "pending": waiting,
               "sent": counts["sent"], "blocked": counts["blocked"], "failed": counts["failed"],
               "unknown": counts["unknown"]}
        if args.json:
            print(json.dumps(out))
        else:
            print(f"broadcast {b.id}: {b.state}; " + ", ".join(f"{k} {v}" for k, v in out.items())
                  + f"; replied or pressed a button afterwards {await store.broadcasts.responded(b.id)}")
            if b.failure:
                print(f"  stopped: {b.failure}")
            for reason, n in await store.broadcasts.failures(b.id):
                print(f"  failed ({n}): {reason}")
        return 0
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # the database, its WAL, backups and exports: the bot's user only
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    _logging(settings)
    try:
        if args.cmd == "run":
            return _start_up(_run(settings))
        if args.cmd == "chat":
            return asyncio.run(_chat(settings, args.as_staff, args.user))
        if args.cmd == "db":
            return asyncio.run(_db(settings, args))
        if args.cmd == "broadcast":
            return asyncio.run(_broadcast(settings, args))
        if cli_reports.handles(args):
            return asyncio.run(cli_reports.run(settings, args))
        if args.cmd in ("courses", "export"):
            return asyncio.run(cli_courses.run(settings, args))
        if args.cmd == "faq":
            if args.question == ["gaps"]:
                return asyncio.run(_faq_gaps(settings))
            return _faq(settings, args.question, args.json)
        if args.cmd == "content":
            problems = check(settings.content)
            for line in problems:
                print(line)
            print("content OK" if not problems else f"{len(problems)} problem(s)",
                  file=sys.stderr if problems else sys.stdout)
            return 1 if problems else 0
    except (StoreError, ContentError, CatalogError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


def _start_up(run) -> int:
    """``run`` (the bot): any failure before or while serving is one line on stderr and
    exit 1, so that a service manager restarts it or someone reads why."""
    try:
        return asyncio.run(run)
    except (StoreError, ContentError, CatalogError, KeyboardInterrupt):
        raise
    except Exception as e:
        log.debug("start-up failed", exc_info=True)
        text = " ".join(str(e).split()) or type(e).__name__
        print(f"error: {text}" if isinstance(e, RuntimeError) else f"error: {type(e).__name__}: {text}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
