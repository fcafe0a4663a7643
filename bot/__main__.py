"""The command line: ``python -m bot …`` (also installed as ``nhanong``).

It speaks the operator's language, as the chat does: Vietnamese by default, English
with ``NHANONG_LOCALE=en`` (help, argparse's own texts, results and errors).

One rule for every command, kept in one place (:func:`main`): bad input or a
refusal is one line on stderr and a non-zero exit (2: bad input, 1: the database,
the content or a file cannot be used), never a traceback; nothing is half-written
(files are written next to their target and renamed into place); only ``db
migrate`` and ``run`` create a database.  Files the bot creates (database, its
-wal/-shm, backups, exports) are private to its user: every command runs under
umask 077.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from . import channels as registry
from . import cli_courses, cli_reports
from .cli import actor, drop_partial, new_file, open_store, require_database, running
from .cli import members as cli_members
from .cli import restore as cli_restore
from .cli.parser import Parser, command, install, whole
from .clock import Clock, SystemClock
from .config import ConfigError, Settings, load_settings
from .content import ContentError, check
from .i18n import LOCALES, N_, CatalogError, Problem, Translator, translator
from .store import Store, StoreError

log = logging.getLogger("bot")


def _parser(t: Translator | None = None) -> Parser:
    t = t or translator("vi")
    p = Parser(prog="nhanong", description=t("Nhà Nông — the union's chatbot. Commands:"))
    sub = p.add_subparsers(dest="cmd", required=True, metavar=t("COMMAND"),
                           title=t("commands"))
    command(sub, "run", t("serve every configured channel until SIGINT/SIGTERM"))
    web = command(sub, "web", t("serve the staff web console on its own (NHANONG_PUBLIC_URL);"
                                " the bot's run carries out what staff do there"))
    web.add_argument("--listen", metavar="HOST:PORT",
                     help=t("where to listen (default: NHANONG_WEBHOOK_LISTEN)"))
    chat = command(sub, "chat", t("talk to the bot in this terminal"))
    chat.add_argument("--as-staff", action="store_true", help=t("talk as a staff member"))
    chat.add_argument("--user", default="local", help=t("console user id (default: local)"))
    db = command(sub, "db", t("database maintenance: migrate, check, backup, restore, vacuum"))
    dbsub = db.add_subparsers(dest="dbcmd", required=True, metavar=t("COMMAND"))
    command(dbsub, "migrate", t("create the database or apply pending migrations"))
    command(dbsub, "check", t("check the database's integrity (exit 1 if damaged)"))
    backup = command(dbsub, "backup", t("copy the live database to FILE (safe while the bot runs)"))
    backup.add_argument("file", type=Path, metavar=t("FILE"))
    restore = command(dbsub, "restore", t("put a backup in place of the database (stop the bot "
                                          "first); the current one is kept beside it"))
    restore.add_argument("backup", type=Path, metavar=t("BACKUP"))
    vacuum = command(dbsub, "vacuum", t("give the space of deleted rows back to the disk "
                                        "(safe while the bot runs; prints the file size "
                                        "before and after)"))
    vacuum.add_argument("--incremental", action="store_true",
                        help=t("only give back the free pages, without rewriting the file "
                               "(after a first full vacuum)"))
    faq = command(sub, "faq", t("answer questions as the bot would; “faq gaps” lists the "
                                "questions it could not answer"))
    faq.add_argument("question", nargs="*", metavar=t("QUESTION"),
                     help=t("the question (none: one per line on stdin)"))
    faq.add_argument("--json", action="store_true", help=t("print JSON objects"))
    bc = command(sub, "broadcast", t("plan, follow and cancel broadcasts"))
    bsub = bc.add_subparsers(dest="bccmd", required=True, metavar=t("COMMAND"))
    create = command(bsub, "create", t("plan a broadcast; prints its id"))
    create.add_argument("--text", required=True, help=t("the message (Markdown: **bold**, _italic_)"))
    create.add_argument("--file", help=t("a picture to send with it (.jpg, .png, .webp)"))
    create.add_argument("--segment", default="",
                        help=t("who gets it, e.g. commune=Sơn Động,role=coop"))
    create.add_argument("--at", help=t("when to send, local time, e.g. 2026-12-01T07:30 or "
                                       "\"07:30 01/12/2026\" (default: now)"))
    create.add_argument("--expires", help=t("drop copies not delivered by then (same forms as --at)"))
    create.add_argument("--urgent", action="store_true",
                        help=t("urgent: its copies go out before those of the other broadcasts"))
    bid = whole(t, t("a broadcast number"))
    status = command(bsub, "status", t("counts per outcome"))
    status.add_argument("id", type=bid, metavar="ID")
    status.add_argument("--json", action="store_true", help=t("print JSON objects"))
    cancel = command(bsub, "cancel", t("stop what is not yet sent"))
    cancel.add_argument("id", type=bid, metavar="ID")
    resend = command(bsub, "resend", t("send again to those whose copy failed"))
    resend.add_argument("id", type=bid, metavar="ID")
    content = command(sub, "content", t("content tools"))
    csub = content.add_subparsers(dest="contentcmd", required=True, metavar=t("COMMAND"))
    command(csub, "check", t("validate every content file"))
    cli_reports.add_parsers(sub, cli_courses.add_parsers(sub, t), t)
    cli_members.add_parsers(sub, t)
    return p


def _faq_gaps_parser(t: Translator) -> Parser:
    p = Parser(prog="nhanong faq gaps",
               description=t("the questions the bot could not answer, most asked first "
                             "(times in the configured zone)"))
    p.add_argument("--limit", type=whole(t, t("a number of lines")), default=100,
                   help=t("how many lines (default: 100)"))
    return p


def _logging(settings: Settings, quiet: bool = False) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if quiet:  # a command's own output is its answer; migrations are not news there
        logging.getLogger("bot.store.db").setLevel(logging.WARNING)


async def _run(settings: Settings, t: Translator) -> int:
    from .app import App

    problems = check(settings.content)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(t.plain("refusing to start: {n} content problem(s)", n=len(problems)), file=sys.stderr)
        return 1
    with running(Path(settings.db)):  # `db restore` waits for this lock to be free
        app = await App(settings).open()
        if not app.channels:
            await app.stop()
            keys = [k.enabled_by for k in registry.kinds() if k.enabled_by]
            print(t.plain("no channel configured: set one of {keys} (or try `python -m bot chat`)",
                          keys=", ".join(keys)), file=sys.stderr)
            return 2
        await app.serve()
    return 0


async def _web(settings: Settings, listen: str | None, clock: Clock) -> int:
    from .web.serve import serve

    where = settings.webhook_listen
    if listen is not None:
        try:
            where = Settings.model_validate({"NHANONG_WEBHOOK_LISTEN": listen}).webhook_listen
        except ValidationError:
            raise Problem(N_("--listen {value}: not HOST:PORT"), value=listen) from None
    with running(Path(settings.db)):
        return await serve(settings, where, clock)


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


async def _db(settings: Settings, args: argparse.Namespace, t: Translator, clock: Clock) -> int:
    if args.dbcmd == "restore":
        print(cli_restore.restore(Path(settings.db), args.backup, t, clock.now()))
        return 0
    if args.dbcmd == "backup":
        new_file(args.file)  # no folder made on the way: a typo must not go unnoticed
    if args.dbcmd != "migrate":
        require_database(settings)
    store = Store(settings.db)
    # Only migrate may create the database: a backup or check of a mistyped path must fail.
    await store.open(migrate=False, create=args.dbcmd == "migrate")
    try:
        if args.dbcmd == "check":
            problems = await store.db.integrity()
            for line in problems:
                print(line)
            if problems:
                print(t.plain("{path}: the database is damaged ({n} problem(s) shown); "
                              "restore it from a backup", path=str(settings.db), n=len(problems)),
                      file=sys.stderr)
                return 1
            print(t.plain("{path}: ok", path=str(settings.db)))
            return 0
        if args.dbcmd == "vacuum":
            return await _vacuum(settings, store, args.incremental, t)
        if args.dbcmd == "migrate":
            applied = await store.db.migrate()
            print(t.plain("applied {n} migration(s)", n=len(applied))
                  + (": " + ", ".join(applied) if applied else ""))
        else:
            await store.db.migrate()
            try:
                await store.db.backup(args.file)
            except BaseException:
                drop_partial(args.file)
                raise
            print(t.plain("backup written to {path}", path=str(args.file)))
    finally:
        await store.close()
    return 0


async def _vacuum(settings: Settings, store: Store, incremental: bool, t: Translator) -> int:
    from .store.maintenance import file_size, vacuum

    await store.db.migrate()
    path = Path(settings.db)
    before = file_size(path)
    await store.close()  # its connections hold nothing the vacuum needs
    done_incrementally = await vacuum(path, incremental=incremental)
    after = file_size(path)
    mb = 1024 * 1024
    print(t.plain("{path}: {before} MB before, {after} MB after ({how}); {freed} MB given back",
                  path=str(path), before=t.number(round(before / mb, 1)),
                  after=t.number(round(after / mb, 1)),
                  freed=t.number(round(max(0, before - after) / mb, 1)),
                  how=t.plain("free pages only") if done_incrementally else t.plain("file rewritten")))
    return 0


def _faq(settings: Settings, words: list[str], as_json: bool, t: Translator) -> int:
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
        return t.plain("[not confident] ({score}) suggestions: {ids}", score=f"{a.score:.2f}",
                       ids=", ".join(a.suggestions))

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


async def _faq_gaps(settings: Settings, limit: int, t: Translator, clock: Clock) -> int:
    from datetime import datetime

    store = await open_store(settings)
    try:
        rows = await store.questions.gaps(limit)
        await store.audit.record(actor(), "faq.gaps", clock.now(), rows=len(rows))
    finally:
        await store.close()
    print("\t".join([t.plain("asked"), t.plain("answered by staff"), t.plain("last asked"),
                     t.plain("question")]))
    for text, asked, answered, last in rows:
        print(f"{asked}\t{answered}\t{t.datetime(datetime.fromisoformat(last))}\t{' '.join(text.split())}")
    return 0


async def _broadcast(settings: Settings, args: argparse.Namespace, t: Translator, clock: Clock) -> int:
    import json

    from .broadcast import create_broadcast, parse_when
    from .content import load_library
    from .geo import communes_of

    now = clock.now()
    who = actor()
    if args.bccmd == "create":
        # Checked before the database is opened: a refused broadcast leaves no trace.
        at = parse_when(args.at, settings, now) if args.at else None
        expires = parse_when(args.expires, settings, now) if args.expires else None
        topics = set(load_library(settings.content).topics)
    store = await open_store(settings)
    try:
        if args.bccmd == "create":
            bid, audience = await create_broadcast(
                store, settings, communes_of(settings.province), topics, by=who,
                text=args.text, image=args.file, segment=args.segment, at=at,
                expires=expires, now=now, urgent=args.urgent)
            print(bid)
            print(t.plain("planned for about {n} member(s), to be sent {when}; the running bot "
                          "sends it", n=audience, when=t.datetime(at or now)), file=sys.stderr)
            return 0
        b = await store.broadcasts.get(args.id)
        if b is None:
            raise Problem(N_("there is no broadcast {id}"), id=args.id)
        if args.bccmd == "cancel":
            n = await store.broadcasts.cancel(b.id, now)
            if n is None:
                print(t.plain("broadcast {id} is already {state}", id=b.id, state=b.state))
                return 0
            await store.audit.record(who, "broadcast.cancel", now, broadcast=b.id)
            print(t.plain("broadcast {id} cancelled; {n} copy(ies) will not be sent", id=b.id, n=n))
            return 0
        if args.bccmd == "resend":
            n = await store.broadcasts.resend_failed(b.id, now)
            await store.audit.record(who, "broadcast.resend", now, broadcast=b.id, copies=n)
            print(t.plain("broadcast {id}: {n} copy(ies) failed, over quota or outside the "
                          "window will be sent again (those still over quota or outside it end "
                          "so again)", id=b.id, n=n))
            return 0
        counts = await store.broadcasts.status(b.id)
        waiting = counts["pending"] + counts["queued"] + counts["inflight"]
        out = {"planned": sum(counts.values()), "pending": waiting,
               "sent": counts["sent"], "blocked": counts["blocked"], "failed": counts["failed"],
               "unknown": counts["unknown"], "over_quota": counts["over_quota"],
               "outside_window": counts["outside_window"], "urgent": b.urgent}
        if args.json:
            print(json.dumps(out))
        else:
            priority = t.plain("urgent") if out.pop("urgent") else t.plain("normal")
            over, outside = out.pop("over_quota"), out.pop("outside_window")
            print(t.plain("broadcast {id} ({priority}): {state}; planned {planned}, pending {pending}, "
                          "sent {sent}, blocked {blocked}, failed {failed}, unknown {unknown}; "
                          "replied or pressed a button afterwards {responded}", id=b.id,
                          state=b.state, priority=priority,
                          responded=await store.broadcasts.responded(b.id), **out))
            if over or outside:
                print(t.plain("  not attempted (the channel's limits): over quota {over}, outside "
                              "the window since the person's last interaction {outside}; "
                              "`broadcast resend {id}` takes them again once the quota renews",
                              over=over, outside=outside, id=b.id))
            if b.failure:
                print(t.plain("  stopped: {reason}", reason=b.failure))
            for reason, n in await store.broadcasts.failures(b.id):
                print(t.plain("  failed ({n}): {reason}", n=n, reason=reason))
        return 0
    finally:
        await store.close()


def _content(settings: Settings, t: Translator) -> int:
    problems = check(settings.content)
    for line in problems:
        print(line)
    if problems:
        print(t.plain("{n} problem(s)", n=len(problems)), file=sys.stderr)
        return 1
    print(t.plain("content OK"))
    return 0


def _locale(settings: Settings | None) -> Translator:
    """The operator's language: the configured one, else NHANONG_LOCALE as given, else vi."""
    if settings is not None:
        return translator(settings.locale, settings.tz)
    loc = os.environ.get("NHANONG_LOCALE", "vi").strip().lower()
    return translator(loc if loc in LOCALES else "vi")


def _say(t: Translator, e: BaseException) -> str:
    """The one line an error is on stderr."""
    if isinstance(e, Problem):
        reason = t.plain(e.msgid, **e.values)
    elif isinstance(e, OSError):
        reason = f"{e.filename}: {e.strerror}" if e.filename else (e.strerror or str(e))
    elif isinstance(e, ContentError) and len(e.problems) > 1:
        reason = t.plain("{first} (and {n} more problem(s): python -m bot content check lists them)",
                         first=e.problems[0], n=len(e.problems) - 1)
    elif isinstance(e, ContentError | StoreError | CatalogError):
        reason = str(e)
    else:
        reason = f"{type(e).__name__}: {e}"
    return t.plain("error: {reason}", reason=" ".join(reason.split()) or type(e).__name__)


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    os.umask(0o077)  # the database, its WAL, backups and exports: the bot's user only
    argv = list(sys.argv[1:] if argv is None else argv)
    problem: ConfigError | None = None
    settings: Settings | None = None
    try:
        settings = load_settings()
    except ConfigError as e:
        problem = e
    try:
        t = _locale(settings)
    except CatalogError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    install(t)
    gaps = argv[:2] == ["faq", "gaps"]
    args = _faq_gaps_parser(t).parse_args(argv[2:]) if gaps else _parser(t).parse_args(argv)
    if problem is not None or settings is None:
        print(t.plain("configuration error: {reason}", reason=str(problem)), file=sys.stderr)
        return 2
    _logging(settings, quiet=gaps or args.cmd not in ("run",))
    clock = clock or SystemClock()
    outs: list[Path] = []
    try:
        if gaps:
            return asyncio.run(_faq_gaps(settings, args.limit, t, clock))
        if args.cmd == "run":
            return _start_up(_run(settings, t), t)
        if args.cmd == "web":
            return _start_up(_web(settings, args.listen, clock), t)
        if args.cmd == "chat":
            return asyncio.run(_chat(settings, args.as_staff, args.user))
        if args.cmd == "db":
            return asyncio.run(_db(settings, args, t, clock))
        if args.cmd == "broadcast":
            return asyncio.run(_broadcast(settings, args, t, clock))
        if args.cmd == "members":
            return asyncio.run(cli_members.run(settings, args, t, clock))
        outs = [a for a in (getattr(args, "out", None),) if isinstance(a, Path)]
        if cli_reports.handles(args):
            return asyncio.run(cli_reports.run(settings, args, t, clock))
        if args.cmd in ("courses", "export"):
            return asyncio.run(cli_courses.run(settings, args, t, clock))
        if args.cmd == "faq":
            return _faq(settings, args.question, args.json, t)
        if args.cmd == "content":
            return _content(settings, t)
    except KeyboardInterrupt:
        drop_partial(*outs)
        return 130
    except Exception as e:
        drop_partial(*outs)
        log.debug("command failed", exc_info=True)
        print(_say(t, e), file=sys.stderr)
        return getattr(e, "exit_code", 2) if isinstance(e, Problem) else 1
    return 2


def _start_up(run, t: Translator) -> int:
    """``run`` (the bot): any failure before or while serving is one line on stderr and
    exit 1, so that a service manager restarts it or someone reads why."""
    try:
        return asyncio.run(run)
    except (StoreError, ContentError, CatalogError, Problem, KeyboardInterrupt):
        raise
    except Exception as e:
        log.debug("start-up failed", exc_info=True)
        text = " ".join(str(e).split()) or type(e).__name__
        reason = text if isinstance(e, RuntimeError) else f"{type(e).__name__}: {text}"
        print(t.plain("error: {reason}", reason=reason), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
