"""The guide runner's shell subset that pages rely on for uploads and dates (tests/api_docs/guide_examples.py):
here-documents written to files, `curl -F` multipart forms, `date +%F`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.api_docs.guide_examples import Block, GuideError, PageRunner, read_commands


def _block(text: str) -> Block:
    return Block("page.md", 1, "bash", text)


def _runner(tmp_path: Path) -> PageRunner:
    page = tmp_path / "page.md"
    page.write_text("# page\n", encoding="utf-8")
    return PageRunner(page)


def test_a_here_document_is_the_text_of_its_command_and_not_commands_of_its_own():
    commands = read_commands(
        _block(
            "cat > plan.csv <<'EOF'\n"
            "drug_id,quantity\n"
            "# not a comment, a line of the file\n"
            "EOF\n"
            "curl -s http://127.0.0.1:8000/api/v1/ # 200"
        )
    )
    assert [(c.text, c.stdin) for c in commands] == [
        ("cat > plan.csv", "drug_id,quantity\n# not a comment, a line of the file\n"),
        ("curl -s http://127.0.0.1:8000/api/v1/", None),
    ]


def test_an_unclosed_here_document_is_an_error():
    with pytest.raises(GuideError, match="not closed"):
        read_commands(_block("cat > plan.csv <<'EOF'\ndrug_id,quantity"))


def test_a_here_document_writes_the_file_that_curl_dash_f_uploads(tmp_path):
    runner = _runner(tmp_path)
    runner._run_command("cat > plan.csv", None, "page.md:1", "drug_id,quantity\n62,1\n")
    form: dict = {}
    runner._form_field("file=@plan.csv;type=text/csv", form, "page.md:2")
    runner._form_field("note=十二月", form, "page.md:2")
    upload = form["file"]
    assert (upload.name, upload.content_type, upload.read()) == ("plan.csv", "text/csv", b"drug_id,quantity\n62,1\n")
    assert form["note"] == "十二月"


def test_curl_dash_f_of_a_file_not_written_above_is_an_error(tmp_path):
    with pytest.raises(GuideError, match="was not written above"):
        _runner(tmp_path)._form_field("file=@missing.csv", {}, "page.md:1")


def test_date_prints_the_business_day_and_days_from_it(tmp_path):
    runner = _runner(tmp_path)
    today = timezone.localdate()
    assert runner._date(["+%F"], "page.md:1") == f"{today.isoformat()}\n"
    assert runner._date(["-d", "+10 days", "+%F"], "page.md:1") == f"{(today + timedelta(days=10)).isoformat()}\n"
    with pytest.raises(GuideError):
        runner._date(["-d", "next friday", "+%F"], "page.md:1")
