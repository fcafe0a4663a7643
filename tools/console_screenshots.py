"""Refresh the README's pictures of the staff console (docs/console/*.png).

    python tools/console_screenshots.py

Runs the console's browser tests (real headless Chromium, the fake Bot API, a real
store), each of which saves a screenshot in test-results/console/, and copies the
main pages' pictures to docs/console/ under the names the README uses."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-results" / "console"
DOCS = ROOT / "docs" / "console"
PICTURES = {
    "dang-nhap.png": "test_a_staff_member_logs_in_with_the_link_from_web_in_a_real_browser.png",
    "tong-quan.png": "test_the_overview_shows_the_members_a_test_added_in_a_real_browser.png",
    "tin-gui.png": "broadcasts-compose.png",
    "hoi-dap.png": "test_staff_answer_a_handed_off_question_from_the_page_and_the_farmer_gets_it_once.png",
    "tap-huan.png": "test_staff_run_a_course_from_the_page_in_a_real_browser.png",
    "bao-cao.png": "test_a_quarter_report_in_a_real_browser_is_the_one_the_command_line_writes.png",
    "hoi-vien-dien-thoai.png": "test_on_a_phone_screen_staff_find_a_member_and_open_their_profile.png",
}


def main() -> int:
    tests = [f"tests/test_console_{a}.py" for a in
             ("auth", "overview", "broadcasts", "questions", "training", "reports", "members")]
    which = "browser or phone_screen or handed_off_question_from_the_page"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-k", which, *tests], cwd=ROOT)
    if done.returncode != 0:
        return done.returncode
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, source in PICTURES.items():
        shutil.copyfile(RESULTS / source, DOCS / name)
        print(f"docs/console/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
