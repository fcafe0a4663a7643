"""The command line has no dead ends (issue #13): every command refuses bad input with
one line in the operator's language (Vietnamese by default, English with
NHANONG_LOCALE=en), writes nothing half-way, creates no database by mistake; and the
operator commands members find / members forget / db restore.  Run as an operator
would: a subprocess, or ``main(argv, clock)`` where the clock matters, on a real
SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.clock import FakeClock
from tests.test_cli import run

COURSE = ["courses", "add", "--title", "Kỹ năng bán hàng", "--start", "08:00 10/12/2099",
          "--end", "11:30", "--venue", "Hội trường xã", "--commune", "son dong", "--capacity", "20"]


def course(tmp_path) -> str:
    """A new database (only ``db migrate`` makes one) with a course; its id."""
    run(tmp_path, "db", "migrate")
    p = run(tmp_path, *COURSE)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def one_line(p) -> str:
    """The single line a refusal is, with no traceback."""
    lines = p.stderr.strip().splitlines()
    assert p.returncode != 0, (p.stdout, p.stderr)
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    return lines[0]


def in_process(tmp_path, monkeypatch, capsys, argv, *, now: datetime, locale: str = "vi"):
    """``main(argv)`` with a fake clock; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    for k in list(os.environ):
        if k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_")):
            monkeypatch.delenv(k)
    monkeypatch.setenv("NHANONG_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("NHANONG_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("NHANONG_LOCALE", locale)
    capsys.readouterr()
    rc = main(argv, clock=FakeClock(now))
    out = capsys.readouterr()
    return rc, out.out, out.err


# -- exports: the extension decides --------------------------------------------------------------
def test_export_registrations_picks_the_format_from_the_extension(tmp_path):
    cid = course(tmp_path)
    p = run(tmp_path, "export", "registrations", "--course", cid, "--out", "x.csv")
    assert p.returncode == 0, p.stderr
    assert "đã ghi 0 dòng vào x.csv" in p.stdout
    head = (tmp_path / "x.csv").read_bytes()[:40]
    assert not head.startswith(b"PK")  # not a zip (xlsx) with a .csv name
    assert (tmp_path / "x.csv").read_text(encoding="utf-8-sig").startswith("STT,")
    p = run(tmp_path, "export", "registrations", "--course", cid, "--out", "y.xlsx")
    assert p.returncode == 0 and (tmp_path / "y.xlsx").read_bytes()[:2] == b"PK"
    for args, vi, en in [
        (("--out", "z.csv", "--format", "xlsx"), "đuôi tệp quyết định", "the extension chooses"),
        (("--out", "z.pdf"), ".xlsx hoặc .csv", ".xlsx or .csv"),
        (("--out", "/nonexistent/dir/z.xlsx"), "thư mục không tồn tại", "the folder does not exist"),
    ]:
        argv = ("export", "registrations", "--course", cid, *args)
        assert vi in one_line(run(tmp_path, *argv))
        assert en in one_line(run(tmp_path, *argv, NHANONG_LOCALE="en"))
    assert not list(tmp_path.glob("z.*")) and not list(tmp_path.glob("*.part"))


# -- broadcasts: no past times ----------------------------------------------------------------
def test_broadcast_at_a_past_time_is_refused_by_the_injected_clock(tmp_path, monkeypatch, capsys):
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    assert run(tmp_path, "db", "migrate").returncode == 0
    argv = ["broadcast", "create", "--text", "Họp chi hội", "--at", "2026-03-02T07:00"]
    rc, out, err = in_process(tmp_path, monkeypatch, capsys, argv, now=now)
    assert rc == 2 and out == "" and err.strip() == "lỗi: “2026-03-02T07:00” là thời điểm đã qua"
    rc, out, err = in_process(tmp_path, monkeypatch, capsys, argv, now=now, locale="en")
    assert rc == 2 and "is in the past" in err and len(err.strip().splitlines()) == 1
    db = sqlite3.connect(tmp_path / "cli.db")
    assert db.execute("SELECT COUNT(*) FROM broadcasts").fetchone() == (0,)
    argv[-1] = "09:00 02/03/2026"
    rc, out, err = in_process(tmp_path, monkeypatch, capsys, argv, now=now)
    assert rc == 0 and out.strip().isdigit(), err
    assert "09:00 ngày 02/03/2026" in err
    assert db.execute("SELECT send_at FROM broadcasts").fetchone() == ("2026-03-02T02:00:00+00:00",)


# -- reports: only periods of the programme that have begun ------------------------------------------
def test_report_periods_outside_the_programme_or_in_the_future_are_refused(tmp_path, monkeypatch,
                                                                         capsys):
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert run(tmp_path, "db", "migrate").returncode == 0
    for period, vi, en in [
        ("2019", "2019: trước khi đề án bắt đầu (22/05/2022); kỳ đầu tiên có báo cáo là 2022-Q2",
         "before the programme began"),
        ("2022-Q1", "trước khi đề án bắt đầu", "before the programme began"),
        ("2027", "2027: chưa bắt đầu (hôm nay là 02/03/2026); kỳ gần nhất có báo cáo là 2026-Q1",
         "has not begun yet"),
        ("2026-Q2", "chưa bắt đầu", "has not begun yet"),
    ]:
        argv = ["report", "--period", period, "--out", "r.xlsx"]
        rc, _, err = in_process(tmp_path, monkeypatch, capsys, argv, now=now)
        assert rc == 2 and vi in err and len(err.strip().splitlines()) == 1, err
        rc, _, err = in_process(tmp_path, monkeypatch, capsys, argv, now=now, locale="en")
        assert rc == 2 and en in err, err
    assert not (tmp_path / "r.xlsx").exists()
    rc, _, err = in_process(tmp_path, monkeypatch, capsys,
                            ["report", "--period", "2026-Q1", "--out", "r.xlsx"], now=now)
    assert rc == 0, err
    assert (tmp_path / "r.xlsx").exists() and (tmp_path / "r.png").exists()


# -- every command: one line, no traceback, nothing made by mistake -----------------------------
def test_a_mistyped_database_path_is_never_created(tmp_path):
    missing = tmp_path / "nhanong-typo.db"
    for args in [("courses", "list"), ("faq", "gaps"), ("broadcast", "status", "1"),
                 ("members", "find", "Hoa"), ("members", "forget", "1"), ("db", "check"),
                 ("export", "checkins", "--from", "2026-07-01", "--to", "2026-07-02", "--out", "a.csv"),
                 ("db", "backup", str(tmp_path / "b.db"))]:
        p = run(tmp_path, *args, NHANONG_DB=str(missing))
        assert "không có cơ sở dữ liệu ở đây" in one_line(p), args
        assert p.returncode == 1
        assert not missing.exists(), args
    p = run(tmp_path, "courses", "list", NHANONG_DB=str(missing), NHANONG_LOCALE="en")
    assert "no database there; check NHANONG_DB" in one_line(p)
    assert not list(tmp_path.glob("*.csv")) and not (tmp_path / "b.db").exists()


def test_bad_input_everywhere_is_one_line_in_the_operator_language(tmp_path):
    assert run(tmp_path, "db", "migrate").returncode == 0
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    cid = course(tmp_path)
    cases = [
        (("courses", "edit", "abc"), "không phải là mã lớp tập huấn"),
        (("courses", "edit", "99", "--title", "x"), "không có khóa học số 99"),
        (("courses", "attendance", cid, "--file", "missing.csv"), "missing.csv: không có tệp này"),
        (("courses", "attendance", cid, "--file", "junk.xlsx"), "khóa học chưa bắt đầu"),
        (("broadcast", "create", "--text", "x", "--file", "junk.xlsx"), "chỉ gửi kèm được ảnh"),
        (("broadcast", "status", "0"), "không phải là số của tin gửi hàng loạt"),
        (("broadcast", "cancel", "42"), "không có tin gửi hàng loạt số 42"),
        (("broadcast", "create", "--text", "x", "--at", "ngày mai"), "ngày mai"),
        (("broadcast", "create", "--text", "x", "--file", "missing.png"), "missing.png"),
        (("export", "checkins", "--from", "32/13/2026", "--to", "2026-07-01"), "32/13/2026"),
        (("report", "--period", "2026-Q9", "--out", "r.xlsx"), "2026-Q9"),
        (("report", "--period", "2026-Q1", "--out", "/nonexistent/r.xlsx"), "thư mục không tồn tại"),
        (("db", "backup", "/nonexistent/x.db"), "/nonexistent: thư mục không tồn tại"),
        (("db", "restore", "missing.db"), "không có tệp sao lưu này"),
        (("members", "forget", "7", "--yes"), "không có hội viên số 7"),
        (("courses",), "thiếu các tham số bắt buộc sau: LỆNH"),
        (("nope",), "lựa chọn không hợp lệ"),
    ]
    for args, why in cases:
        line = one_line(run(tmp_path, *args))
        assert why in line, (args, line)
        assert line.startswith(("lỗi: ", "nhanong")), line
    assert not Path("/nonexistent").exists()
    line = one_line(run(tmp_path, "broadcast", "cancel", "42", NHANONG_LOCALE="en"))
    assert line == "error: there is no broadcast 42"
    line = one_line(run(tmp_path, "courses", NHANONG_LOCALE="en"))
    assert "the following arguments are required: COMMAND (see nhanong courses --help)" in line


def test_editing_a_course_without_a_change_says_so(tmp_path):
    cid = course(tmp_path)
    assert "không có gì để sửa" in one_line(run(tmp_path, "courses", "edit", cid))
    p = run(tmp_path, "courses", "edit", cid, "--title", "Kỹ năng bán hàng", "--capacity", "20")
    assert p.returncode == 0
    assert p.stdout.strip() == f"lớp {cid} không thay đổi: lớp đã có đúng các giá trị này"
    p = run(tmp_path, "courses", "edit", cid, "--capacity", "30", NHANONG_LOCALE="en")
    assert p.returncode == 0 and p.stdout.strip() == f"course {cid} updated: capacity"
    db = sqlite3.connect(tmp_path / "cli.db")
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'course.edit'").fetchone() == (1,)


def test_help_is_in_the_operator_language_including_argparse(tmp_path):
    p = run(tmp_path, "--help")
    assert p.returncode == 0
    assert p.stdout.startswith("cách dùng: nhanong") and "hiện trợ giúp này rồi thoát" in p.stdout
    assert "chatbot của Hội Nông dân" in p.stdout and "show this help" not in p.stdout
    p = run(tmp_path, "members", "forget", "--help")
    assert "xóa dữ liệu cá nhân của hội viên theo yêu cầu của họ" in p.stdout
    assert "tham số vị trí" in p.stdout and "tùy chọn:" in p.stdout
    p = run(tmp_path, "--help", NHANONG_LOCALE="en")
    assert p.stdout.startswith("usage: nhanong") and "show this help message and exit" in p.stdout
    # faq gaps has its own help, not the question-answering one
    p = run(tmp_path, "faq", "gaps", "--help")
    assert p.returncode == 0 and p.stdout.startswith("cách dùng: nhanong faq gaps")
    assert "chưa trả lời được, hỏi nhiều nhất trước" in p.stdout and "QUESTION" not in p.stdout
    assert not (tmp_path / "cli.db").exists()


def test_faq_gaps_shows_times_in_the_configured_zone(tmp_path):
    run(tmp_path, "db", "migrate")
    db = sqlite3.connect(tmp_path / "cli.db")
    db.execute("INSERT INTO members (channel, user_id, chat_id, created_at) VALUES"
               " ('console', 'a', 'a', '2026-03-01T00:00:00+00:00')")
    db.execute("INSERT INTO questions (member_id, text, folded, asked_at) VALUES"
               " (1, 'giá lợn hôm nay', 'gia lon hom nay', '2026-03-01T23:30:00+00:00')")
    db.commit()
    p = run(tmp_path, "faq", "gaps")
    assert p.stdout.splitlines() == ["số lần hỏi\tcán bộ đã trả lời\thỏi lần cuối\tcâu hỏi",
                                     "1\t0\t06:30 ngày 02/03/2026\tgiá lợn hôm nay"]
    p = run(tmp_path, "faq", "gaps", NHANONG_LOCALE="en", NHANONG_TZ="UTC")
    assert p.stdout.splitlines()[1] == "1\t0\t1 Mar 2026, 23:30\tgiá lợn hôm nay"


# -- members find / forget ----------------------------------------------------------------------------
async def _people(path: Path) -> tuple[int, int]:
    from bot.store import Store

    s = await Store(path).open()
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    hoa = await s.members.seen("telegram", "5550001", "5550001", "Hoa", "vi", now)
    await s.members.update(hoa.id, full_name="Lê Thị Hoa", phone="+84987654321",
                           organisation="HTX Hoa Sen", commune_code=None, role="coop")
    other = await s.members.seen("zalo", "z-77", "z-77", "Nam", "vi", now)
    await s.close()
    return hoa.id, other.id


def test_members_find_by_name_phone_and_id_audited(tmp_path):
    run(tmp_path, "db", "migrate")
    hoa, nam = asyncio.run(_people(tmp_path / "cli.db"))
    for text in ("le thi hoa", "Lê Thị HOA", "0987 654 321", "+84987654321", "84987654321",
                 "5550001", str(hoa), "hoa sen"):
        p = run(tmp_path, "members", "find", *text.split())
        assert p.returncode == 0, (text, p.stderr)
        rows = [r.split("\t") for r in p.stdout.splitlines()]
        assert rows[0][:5] == ["hội viên", "kênh", "mã người dùng", "mã chat", "tên"], rows[0]
        assert [r[0] for r in rows[1:]] == [str(hoa)], (text, rows)
        assert rows[1][1:7] == ["telegram", "5550001", "5550001", "Lê Thị Hoa (Hoa)", "0987 654 321",
                                "-"]
        assert rows[1][7] == "Giám đốc/thành viên HTX" and rows[1][8] == "08:00 ngày 02/03/2026"
    p = run(tmp_path, "members", "find", "Nam", NHANONG_LOCALE="en")
    assert p.stdout.splitlines()[0].startswith("member\tchannel\tuser id")
    assert p.stdout.splitlines()[1].split("\t")[:3] == [str(nam), "zalo", "z-77"]
    p = run(tmp_path, "members", "find", "Trần Văn Không Có")
    assert one_line(p) == "không tìm thấy ai với “Trần Văn Không Có”"
    db = sqlite3.connect(tmp_path / "cli.db")
    audits = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'members.find'").fetchall()
    assert len(audits) == 10
    assert all(a.startswith("cli:") for a, _ in audits)
    assert not any("987" in d or "hoa" in d.lower() for _, d in audits)  # ids, not what was typed


def test_members_find_groups_lists_group_chats_from_the_journal(tmp_path):
    run(tmp_path, "db", "migrate")
    assert "Hãy thêm bot vào nhóm cán bộ" in one_line(run(tmp_path, "members", "find", "--groups"))
    db = sqlite3.connect(tmp_path / "cli.db")
    group = {"update_id": 9, "message": {"message_id": 1, "date": 0, "text": "hi",
             "chat": {"id": -100123, "type": "supergroup", "title": "Cán bộ Hội"},
             "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
    private = {"update_id": 10, "message": {"message_id": 2, "date": 0, "text": "group",
               "chat": {"id": 1, "type": "private"}, "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
    zalo = {"event_name": "message.text.received", "message": {
        "message_id": "m1", "text": "x", "from": {"id": "u1"}, "chat": {"id": "g-9", "chat_type": "GROUP"}}}
    for ch, uid, payload in [("telegram", "9", group), ("telegram", "10", private), ("zalo", "m1", zalo)]:
        db.execute("INSERT INTO inbound (channel, update_id, payload, received_at) VALUES (?, ?, ?, ?)",
                   (ch, uid, json.dumps(payload), "2026-03-02T01:00:00+00:00"))
    db.commit()
    p = run(tmp_path, "members", "find", "--groups")
    rows = [r.split("\t") for r in p.stdout.splitlines()]
    assert rows[1:] == [
        ["zalo", "g-9", "group", "-", "08:00 ngày 02/03/2026", "zalo:g-9"],
        ["telegram", "-100123", "supergroup", "Cán bộ Hội", "08:00 ngày 02/03/2026", "telegram:-100123"]]


def test_members_forget_deletes_personal_data_and_keeps_the_counts(tmp_path):
    run(tmp_path, "db", "migrate")
    hoa, nam = asyncio.run(_people(tmp_path / "cli.db"))
    db = sqlite3.connect(tmp_path / "cli.db")
    db.executescript(f"""
        INSERT INTO member_topics VALUES ({hoa}, 'ocop');
        INSERT INTO dialog_state (member_id, flow, step, updated_at) VALUES ({hoa}, 'x', 'y', 'now');
        INSERT INTO questions (member_id, text, folded, asked_at) VALUES ({hoa}, 'nhà ở thôn 3', 'x', 'n');
        INSERT INTO questions (member_id, text, folded, asked_at) VALUES ({nam}, 'giá lúa', 'gia lua', 'n');
        INSERT INTO courses (id, title, starts_at, ends_at, venue, capacity, deadline_at, created_by,
                             created_at) VALUES (1, 'K', 'a', 'b', 'v', 5, 'a', 'cli:x', 'n');
        INSERT INTO registrations (course_id, member_id, status, created_at, updated_at,
                                   feedback_score, feedback_comment)
               VALUES (1, {hoa}, 'attended', 'n', 'n', 5, 'Cô Hoa ở xóm Đông rất thích');
        INSERT INTO inbound (channel, update_id, payload, received_at, person, state)
               VALUES ('telegram', '1', '{{"text": "số tôi 0987654321"}}', 'n', 'telegram:5550001', 'done');
        INSERT INTO audit_log (at, actor, action) VALUES ('n', 'telegram:5550001', 'broadcast.create');
    """)
    db.commit()
    p = run(tmp_path, "members", "forget", str(hoa))
    assert "thêm --yes để xác nhận" in one_line(p)
    assert "xóa: câu hỏi đã gửi và câu trả lời của cán bộ (1)" in p.stdout
    assert "ẩn danh: tài khoản" in p.stdout
    assert db.execute("SELECT phone FROM members WHERE id = ?", (hoa,)).fetchone() == ("+84987654321",)
    p = run(tmp_path, "members", "forget", str(hoa), "--yes", NHANONG_LOCALE="en")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == (f"member {hoa}: personal data deleted (1 account(s)); "
                                         "the reports' counts are unchanged")
    row = db.execute("SELECT user_id, chat_id, display_name, full_name, phone, organisation, role,"
                     " subscribed FROM members WHERE id = ?", (hoa,)).fetchone()
    assert row == (f"forgotten:{hoa}", "", None, None, None, None, "coop", 0)
    for table in ("member_topics", "dialog_state"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)
    assert db.execute("SELECT member_id FROM questions").fetchall() == [(nam,)]
    assert db.execute("SELECT status, feedback_score, feedback_comment FROM registrations"
                      ).fetchone() == ("attended", 5, None)
    assert db.execute("SELECT COUNT(*) FROM inbound").fetchone() == (0,)
    dump = "\n".join(db.iterdump())
    assert "0987654321" not in dump and "84987654321" not in dump and "Hoa" not in dump.replace(
        "HTX Hoa Sen", "") and "5550001" not in dump
    audit = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'members.forget'").fetchone()
    assert audit[0].startswith("cli:") and json.loads(audit[1]) == {"members": [hoa]}
    assert "đã được xóa trước đó" in one_line(run(tmp_path, "members", "forget", str(hoa), "--yes"))


# -- db restore ------------------------------------------------------------------------------------
def test_db_restore_checks_the_backup_keeps_the_current_database_and_refuses_while_running(tmp_path):
    from bot.cli import running

    course(tmp_path)
    assert run(tmp_path, "db", "backup", "copy.db").returncode == 0
    run(tmp_path, *COURSE[:3], "Lớp thứ hai", *COURSE[4:])  # after the backup
    db = tmp_path / "cli.db"

    with running(db):  # what `run` holds while it serves
        p = run(tmp_path, "db", "restore", "copy.db")
        assert "bot đang chạy trên cơ sở dữ liệu này; hãy dừng bot trước" in one_line(p)
        assert p.returncode == 1
    broken = tmp_path / "broken.db"
    broken.write_bytes((tmp_path / "copy.db").read_bytes()[:5000])
    assert "chưa khôi phục: bản sao lưu bị hỏng" in one_line(run(tmp_path, "db", "restore", "broken.db"))
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.commit()
    assert "không phải cơ sở dữ liệu của bot này" in one_line(run(tmp_path, "db", "restore", "other.db"))
    (tmp_path / "text.db").write_text("hello")
    assert "not restored: not an SQLite database" in one_line(run(tmp_path, "db", "restore", "text.db",
                                                    NHANONG_LOCALE="en"))
    assert len(json.loads(run(tmp_path, "courses", "list", "--json").stdout)) == 2  # untouched

    p = run(tmp_path, "db", "restore", "copy.db")
    assert p.returncode == 0, p.stderr
    kept = [x for x in tmp_path.iterdir() if x.name.startswith("cli.db.before-restore-")
            and not x.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1
    assert p.stdout.strip() == f"{db}: đã khôi phục từ copy.db; cơ sở dữ liệu trước đó được giữ tại {kept[0]}"
    assert [c["title"] for c in json.loads(run(tmp_path, "courses", "list", "--json").stdout)] == [
        "Kỹ năng bán hàng"]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    old = sqlite3.connect(kept[0])
    assert old.execute("SELECT COUNT(*) FROM courses").fetchone() == (2,)
    assert not list(tmp_path.glob(".*.part"))
    assert run(tmp_path, "db", "check").returncode == 0


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_db_backup_makes_no_folder(tmp_path, locale):
    run(tmp_path, "db", "migrate")
    p = run(tmp_path, "db", "backup", str(tmp_path / "new" / "x.db"), NHANONG_LOCALE=locale)
    assert ("thư mục không tồn tại" if locale == "vi" else "the folder does not exist") in one_line(p)
    assert not (tmp_path / "new").exists()


def test_broken_content_is_one_line_that_points_to_content_check(tmp_path):
    run(tmp_path, "db", "migrate")
    bad = tmp_path / "content"
    bad.mkdir()
    (bad / "topics.yaml").write_text("- id: ocop\n  vi: OCOP\n- id: Bad Id\n  vi: x\n")
    for args in [("faq", "ocop"), ("report", "--period", "2026-Q1", "--out", "r.xlsx"),
                 ("broadcast", "create", "--text", "x")]:
        line = one_line(run(tmp_path, *args, NHANONG_CONTENT=str(bad)))
        assert line.startswith("lỗi: ") and "topics.yaml:3:" in line, line
        assert "python -m bot content check liệt kê đủ" in line
    assert not (tmp_path / "r.xlsx").exists()


def test_the_terminal_chat_opens_without_migration_log_lines(tmp_path):
    p = run(tmp_path, "chat", stdin="/start\n", NHANONG_LOG_LEVEL="INFO")
    assert p.returncode == 0 and "Xin chào" in p.stdout
    assert "migration" not in p.stderr, p.stderr


@pytest.mark.parametrize(("typed", "deleted"), [("khong\n", False), ("có\n", True)])
def test_members_forget_asks_on_a_terminal(tmp_path, typed, deleted):
    import pty
    import subprocess
    import sys

    from tests.waits import GUARD

    run(tmp_path, "db", "migrate")
    hoa, _ = asyncio.run(_people(tmp_path / "cli.db"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    env.update(NHANONG_DB=str(tmp_path / "cli.db"), NHANONG_LOG_LEVEL="WARNING")
    master, slave = pty.openpty()
    try:
        os.write(master, typed.encode())
        p = subprocess.run([sys.executable, "-m", "bot", "members", "forget", str(hoa)], stdin=slave,
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=GUARD)
    finally:
        os.close(slave)
        os.close(master)
    assert "Gõ “có” để xác nhận" in p.stdout
    phone = sqlite3.connect(tmp_path / "cli.db").execute(
        "SELECT phone FROM members WHERE id = ?", (hoa,)).fetchone()[0]
    if deleted:
        assert p.returncode == 0 and phone is None, p.stderr
    else:
        assert p.returncode == 1 and p.stderr.strip() == "chưa xóa gì" and phone == "+84987654321"
