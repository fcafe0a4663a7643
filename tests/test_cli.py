"""The command line, run as an operator would (a subprocess, a real SQLite file)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.waits import GUARD

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    e.update({"NHANONG_DB": str(tmp_path / "cli.db"), "NHANONG_LOG_LEVEL": "WARNING"}, **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        cwd=tmp_path, env=e, timeout=GUARD,
    )


def test_chat_in_the_terminal_creates_the_database_and_onboards(tmp_path):
    p = run(tmp_path, "chat", stdin="/start\n1\nson dong\n1\n0912345678\n1\n7\n/hoso\n")
    assert p.returncode == 0, p.stderr
    assert "Xin chào" in p.stdout and "Đã lưu: Xã Sơn Động" in p.stdout
    assert "1. Điền hồ sơ" in p.stdout  # buttons as a numbered list
    assert "0912 345 678" in p.stdout
    db = sqlite3.connect(tmp_path / "cli.db")
    assert db.execute("SELECT phone, role FROM members").fetchone() == ("+84912345678", "farmer")


def test_chat_as_staff_sees_statistics(tmp_path):
    p = run(tmp_path, "chat", "--as-staff", stdin="/start\n2\n/thongke\n")
    assert "Tổng số: 1" in p.stdout


def test_bad_configuration_exits_with_the_key(tmp_path):
    p = run(tmp_path, "chat", NHANONG_TZ="Mars/Olympus")
    assert p.returncode != 0
    assert p.stderr.strip().splitlines()[-1].startswith("lỗi cấu hình: NHANONG_TZ:")
    p = run(tmp_path, "chat", NHANONG_TZ="Mars/Olympus", NHANONG_LOCALE="en")
    assert p.stderr.strip().splitlines()[-1].startswith("configuration error: NHANONG_TZ:")


def test_run_without_any_channel_says_what_to_set(tmp_path):
    p = run(tmp_path, "run")
    assert p.returncode == 2 and "TELEGRAM_BOT_TOKEN" in p.stderr


def test_db_migrate_and_backup(tmp_path):
    from bot.store.db import migrations

    assert f"đã áp dụng {len(migrations())} bản cập nhật" in run(tmp_path, "db", "migrate").stdout
    assert "applied 0 migration" in run(tmp_path, "db", "migrate", NHANONG_LOCALE="en").stdout
    p = run(tmp_path, "db", "backup", str(tmp_path / "copy.db"))
    assert p.returncode == 0 and (tmp_path / "copy.db").exists()
    p = run(tmp_path, "db", "backup", str(tmp_path / "copy.db"), NHANONG_LOCALE="en")
    assert p.returncode == 2 and "already exists" in p.stderr


def test_content_check_reports_file_and_line(tmp_path):
    assert run(tmp_path, "content", "check").returncode == 0
    bad = tmp_path / "content"
    bad.mkdir()
    (bad / "topics.yaml").write_text("- id: ocop\n  vi: OCOP\n- id: Bad Id\n  vi: x\n")
    p = run(tmp_path, "content", "check", NHANONG_CONTENT=str(bad))
    assert p.returncode == 1
    assert "topics.yaml:3:" in p.stdout
    p = run(tmp_path, "run", NHANONG_CONTENT=str(bad), TELEGRAM_BOT_TOKEN="1:abc")
    assert p.returncode == 1 and "không khởi động: có 2 lỗi nội dung" in p.stderr


def test_content_check_reports_a_deeply_nested_file_in_one_line(tmp_path):
    import shutil

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    deep = content / "faq" / "vi" / "sau.yaml"
    deep.write_text("- id: x.deep\n  question: Sâu\n  variants: " + "[" * 500 + "]" * 500 + "\n",
                    encoding="utf-8")
    p = run(tmp_path, "content", "check", NHANONG_CONTENT=str(content))
    assert p.returncode == 1
    assert "Traceback" not in p.stderr + p.stdout
    assert p.stdout.splitlines() == [
        f"{deep}:3: nested too deeply (more than 40 levels of lists or mappings)"]


def test_faq_answers_one_question_as_json(tmp_path):
    import json

    p = run(tmp_path, "faq", "--json", "ocop là gì")
    out = json.loads(p.stdout)
    assert set(out) == {"id", "score", "answer", "suggestions"}
    assert out["id"] == "ocop.what" and "Mỗi xã một sản phẩm" in out["answer"]
    p = run(tmp_path, "faq", "--json", "giá lợn hôm nay")
    out = json.loads(p.stdout)
    assert out["id"] is None and out["answer"] is None and len(out["suggestions"]) <= 3


def test_faq_reads_a_list_from_stdin(tmp_path):
    import json

    p = run(tmp_path, "faq", "--json", stdin="logo ocop\n\nvay von quy ho tro nong dan\n")
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["ocop.logo", "hoi.loan"]
    p = run(tmp_path, "faq", stdin="logo ocop\nthời tiết mai\n")
    assert [x.split("\t")[0] for x in p.stdout.splitlines()] == ["ocop.logo", "-"]


def test_faq_gaps_lists_unanswered_questions_most_asked_first(tmp_path):
    chat = "con bò bị ốm\ngiá lợn hôm nay\ngiá lợn hôm nay\nGiá lợn hôm nay!\n"
    run(tmp_path, "chat", stdin="/start\n2\n" + chat)
    p = run(tmp_path, "faq", "gaps")
    rows = [x.split("\t") for x in p.stdout.splitlines()[1:]]
    assert rows[0][0] == "3" and "giá lợn hôm nay" in rows[0][3].lower()
    assert rows[1][0] == "1"


def test_courses_from_the_command_line(tmp_path):
    """A course added from the CLI is listed, joined in the chat, exported and attended."""
    import json

    from openpyxl import load_workbook

    add = ["courses", "add", "--title", "Kỹ năng bán hàng online", "--start", "08:00 10/12/2099",
           "--end", "11:30", "--venue", "Hội trường xã", "--commune", "son dong", "--capacity", "20",
           "--audience", "htx,official"]
    p = run(tmp_path, *add)
    assert p.returncode == 1 and "db migrate" in p.stderr  # only migrate and run make a database
    assert not (tmp_path / "cli.db").exists()
    run(tmp_path, "db", "migrate")
    p = run(tmp_path, *add)
    assert p.returncode == 0, p.stderr
    cid = p.stdout.strip()
    bad = run(tmp_path, *add[:-4], "--capacity", "không", "--audience", "htx")
    assert bad.returncode == 2 and "số nguyên từ 1" in bad.stderr
    listed = json.loads(run(tmp_path, "courses", "list", "--json").stdout)
    assert [(c["id"], c["title"], c["capacity"], c["taken"]) for c in listed] == [
        (int(cid), "Kỹ năng bán hàng online", 20, 0)]
    # A cooperative director signs up in the chat (console channel).
    chat = run(tmp_path, "chat", stdin="/start\n2\n/hoso\n/taphuan\n1\n1\nLê Thị Hoa\n0987654321\n"
                                       "son dong\n3\nHTX Hoa Sen\n1\n")
    assert chat.returncode == 0, chat.stderr
    assert "đăng ký thành công" in chat.stdout
    out = tmp_path / "ds.xlsx"
    p = run(tmp_path, "export", "registrations", "--course", cid, "--format", "xlsx", "--out", str(out))
    assert p.returncode == 0, p.stderr
    row = [c.value for c in load_workbook(out).active[2]]
    assert row[2:4] == ["Lê Thị Hoa", "0987 654 321"] and row[6] == "HTX Hoa Sen"
    again = run(tmp_path, "export", "registrations", "--course", cid, "--out", str(out))
    assert again.returncode == 2 and "đã có" in again.stderr
    sheet = tmp_path / "ky.csv"
    sheet.write_text("Số điện thoại,Có mặt\n0987654321,x\n", encoding="utf-8")
    p = run(tmp_path, "courses", "attendance", cid, "--file", str(sheet))
    assert p.returncode == 2 and "chưa bắt đầu" in p.stderr  # 2099: attendance comes after
    p = run(tmp_path, "courses", "cancel", cid, NHANONG_LOCALE="en")
    assert p.returncode == 0 and "1 person(s) will be told" in p.stdout
