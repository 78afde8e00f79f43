"""The command line as a user runs it: real subprocesses, real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], tmp_path: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DUKAT_DB": str(tmp_path / "cli.db"), "DUKAT_DATA_DIR": str(tmp_path / "data")}
    full_env.pop("DUKAT_KNOWLEDGE_DIR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=60)


def test_version_and_help(tmp_path):
    assert "dukat-bord" in run(["--version"], tmp_path).stdout
    for command in (["chat"], ["ask"], ["faq", "check"], ["faq", "list"]):
        result = run([*command, "--help"], tmp_path)
        assert result.returncode == 0 and "Usage:" in result.stdout


def test_ask_json_done_when_questions(tmp_path):
    questions = "Vad är ett ASF?\nvem betalar lonebidrag\nWhat is a work integration social enterprise?\nVad blir det för väder i morgon?\n"
    result = run(["ask", "--json", "-"], tmp_path, stdin=questions)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    for row in rows:
        assert set(row) >= {"question", "lang", "intent", "faq_id", "score", "authorities", "answer", "suggestions"}
        assert 0 <= row["score"] <= 100
    assert rows[0]["intent"] == "faq" and rows[0]["lang"] == "sv" and rows[0]["faq_id"]
    assert rows[1]["intent"] == "faq" and "arbetsformedlingen" in rows[1]["authorities"]
    assert rows[2]["intent"] == "faq" and rows[2]["lang"] == "en"
    assert rows[3]["intent"] != "faq" and rows[3]["faq_id"] is None
    assert not (tmp_path / "cli.db").exists(), "ask keeps no state"


def test_ask_plain_text(tmp_path):
    result = run(["ask", "Vad är ett ASF?"], tmp_path)
    assert result.returncode == 0 and "Ansvarig:" in result.stdout


def test_chat_with_piped_input_numbers_press_buttons(tmp_path):
    result = run(["chat"], tmp_path, stdin="/sprak\n2\nWhat is an ASF?\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] Svenska" in out and "[2] English" in out
    assert "I will write in English now." in out
    assert "Responsible:" in out


def test_faq_list(tmp_path):
    result = run(["faq", "list", "--lang", "en"], tmp_path)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) >= 60


@pytest.mark.parametrize("args", [["ask", "--json", "-"], ["chat"]])
def test_empty_input_is_fine(tmp_path, args):
    assert run(args, tmp_path, stdin="").returncode == 0
