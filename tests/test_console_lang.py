"""The console's own lines (intro, prompt, notices, goodbye) follow the user's language: `dukat-bord chat` run
as a person runs it (in a pseudo-terminal) and as a script runs it (through a pipe), in English."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.channels.console import ConsoleChat, terminal_language

from .test_cli import ROOT, run

pty = pytest.importorskip("pty")
CATALOGUE = Catalogue.load()


def line(lang: str, key: str, **params) -> str:
    return CATALOGUE.text(lang, key, **params)


def run_in_terminal(tmp_path: Path, lines: list[str], env: dict[str, str] | None = None) -> str:
    """`dukat-bord chat` with a pseudo-terminal for input and output: what a person at a terminal sees.
    Each line is typed once the prompt for it is shown; Ctrl-D ends the chat."""
    full_env = {**os.environ, "DUKAT_DB": str(tmp_path / "cli.db"), "DUKAT_DATA_DIR": str(tmp_path / "data")}
    for name in ("DUKAT_KNOWLEDGE_DIR", "DUKAT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        full_env.pop(name, None)
    full_env.update(env or {})
    prompts = tuple(f"{line(lang, 'console.you')}: ".encode() for lang in ("sv", "en"))
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bot", "chat"], stdin=slave, stdout=slave,
                               stderr=subprocess.PIPE, env=full_env, cwd=ROOT)
    os.close(slave)
    output = b""

    def wait_for_prompt(number: int) -> None:
        nonlocal output
        deadline = time.monotonic() + 60
        while sum(output.count(p) for p in prompts) < number and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                output += os.read(master, 65536)

    try:
        for number, text in enumerate([*lines, "\x04"], start=1):  # Ctrl-D last
            wait_for_prompt(number)
            os.write(master, text.encode() if text == "\x04" else (text + "\n").encode())
        process.wait(timeout=30)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal is closed once the process is gone
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert process.returncode == 0, process.stderr.read().decode()
    return output.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.parametrize(
    "environ, lang",
    [
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "sv_SE.UTF-8"}, "en"),
        ({"LC_MESSAGES": "sv_FI", "LANG": "en_GB.UTF-8"}, "sv"),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "de_DE.UTF-8"}, None),
        ({"LANG": "english"}, None),
        ({}, None),
    ],
)
def test_the_terminal_language_comes_from_the_locale(environ, lang):
    assert terminal_language(environ) == lang


def test_an_english_terminal_gets_every_console_line_in_english(tmp_path):
    out = run_in_terminal(tmp_path, ["What is an ASF?", "thanks"], env={"LANG": "en_GB.UTF-8"})
    assert out.startswith(line("en", "console.intro")), out[:300]
    assert f"{line('en', 'console.you')}: What is an ASF?" in out
    assert f"{line('en', 'console.you')}: thanks" in out
    assert line("en", "console.bye") in out
    for key in ("console.intro", "console.bye"):
        assert line("sv", key) not in out
    assert f"{line('sv', 'console.you')}:" not in out


def test_the_console_switches_with_the_user_and_remembers_on_reopening(tmp_path):
    # A terminal without a language (C locale): Swedish until the user writes English.
    first = run_in_terminal(tmp_path, ["What is an ASF?", "thanks"], env={"LANG": "C.UTF-8"})
    assert first.startswith(line("sv", "console.intro"))
    assert f"{line('en', 'console.you')}: thanks" in first
    assert first.rstrip().endswith(line("en", "console.bye"))
    # Reopened: the stored language, even though the terminal still says nothing.
    again = run_in_terminal(tmp_path, ["thanks"], env={"LANG": "C.UTF-8"})
    assert again.startswith(line("en", "console.intro"))
    assert f"{line('en', 'console.you')}: thanks" in again


def test_dukat_lang_wins_over_the_locale(tmp_path):
    out = run_in_terminal(tmp_path, ["hej"], env={"LANG": "en_GB.UTF-8", "DUKAT_LANG": "sv"})
    assert out.startswith(line("sv", "console.intro"))


def test_a_piped_english_user_gets_the_notices_in_english(tmp_path):
    first = run(["chat", "--as", "anna"], tmp_path, stdin="/sprak\n2\n", env={"LANG": "en_GB.UTF-8"})
    assert first.returncode == 0, first.stderr
    # A script (no terminal) gets DUKAT_LANG, not the locale, until the user chose a language.
    assert first.stdout.startswith(line("sv", "console.no_pending", address="console:anna"))
    second = run(["chat", "--as", "anna"], tmp_path, stdin="What is an ASF?\n")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(line("en", "console.no_pending", address="console:anna"))
    assert f"{line('en', 'console.bot')}: " in second.stdout and "Responsible:" in second.stdout


async def test_lines_shown_in_process_follow_the_language_after_each_turn(app, tmp_path):
    out = StringIO()
    console = ConsoleChat(app, "console:inproc", out=out, environ={"LANG": "C"})
    await console.run(StringIO("What is an ASF?\nVad är ett ASF?\n"), interactive=True, outbox=app.outbox)
    text = out.getvalue()
    assert text.startswith(line("sv", "console.intro"))
    you = [part.split(":")[0] for part in text.split("\n") if part.endswith(": ") or part.startswith(("Du: ", "You: "))]
    assert you[:2] == [line("sv", "console.you"), line("en", "console.you")]
    assert text.rstrip().endswith(line(await app.users.lang_of("console:inproc"), "console.bye"))
