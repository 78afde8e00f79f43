"""Ending `dukat-bord chat` as a person at a terminal does: Ctrl-C or Ctrl-D (end of input) ends it at once,
and what was said is kept. Run in a pseudo-terminal, as tests/test_console_lang.py does."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.catalogue import Catalogue

from .test_cli import ROOT, run

pty = pytest.importorskip("pty")
CATALOGUE = Catalogue.load()
HANG = 30  # seconds: far beyond any turn; reaching it means the chat did not end


def line(lang: str, key: str, **params) -> str:
    return CATALOGUE.text(lang, key, **params)


class Terminal:
    """`dukat-bord chat` in a pseudo-terminal: type lines, wait for prompts, read what the person sees."""

    def __init__(self, tmp_path: Path) -> None:
        env = {**os.environ, "DUKAT_DB": str(tmp_path / "cli.db"), "DUKAT_DATA_DIR": str(tmp_path / "data"),
               "LANG": "C.UTF-8"}
        for name in ("DUKAT_KNOWLEDGE_DIR", "DUKAT_LANG", "LC_ALL", "LC_MESSAGES"):
            env.pop(name, None)
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "chat"], stdin=slave, stdout=slave,
                                        stderr=subprocess.PIPE, env=env, cwd=ROOT)
        os.close(slave)
        self.output = b""
        self.prompts = tuple(f"{line(lang, 'console.you')}: ".encode() for lang in ("sv", "en"))

    def _read(self, timeout: float) -> None:
        if select.select([self.master], [], [], timeout)[0]:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the terminal is closed once the process is gone
                pass

    def wait_for_prompt(self, number: int) -> None:
        deadline = time.monotonic() + HANG
        while sum(self.output.count(p) for p in self.prompts) < number and time.monotonic() < deadline:
            self._read(0.2)
        assert sum(self.output.count(p) for p in self.prompts) >= number, self.text()

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for_exit(self) -> tuple[int | None, str]:
        """The exit status (None: still running after HANG seconds, then killed) and standard error."""
        try:
            self.process.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            pass
        code = self.process.poll()
        if code is None:
            self.process.kill()
            self.process.wait()
        for _ in range(20):
            before = len(self.output)
            self._read(0.1)
            if len(self.output) == before:
                break
        os.close(self.master)
        return code, self.process.stderr.read().decode()

    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")


def test_ctrl_c_at_the_prompt_ends_the_chat_at_once_and_keeps_what_was_said(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.wait_for_prompt(1)
    terminal.type("/sprak\n")
    terminal.wait_for_prompt(2)
    terminal.type("2\n")  # English
    terminal.wait_for_prompt(3)
    terminal.process.send_signal(signal.SIGINT)  # what Ctrl-C at a terminal sends
    code, stderr = terminal.wait_for_exit()
    assert code == 0, (code, stderr, terminal.text()[-300:])
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert terminal.text().rstrip().endswith(line("en", "console.bye"))
    # What was said is kept: the language chosen before Ctrl-C.
    again = run(["chat"], tmp_path, stdin="What is an ASF?\n", env={"LANG": "C.UTF-8"})
    assert again.returncode == 0, again.stderr
    assert f"{line('en', 'console.bot')}: " in again.stdout and "Responsible:" in again.stdout


def test_ctrl_c_before_anything_is_typed_ends_the_chat(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.wait_for_prompt(1)
    terminal.process.send_signal(signal.SIGINT)
    code, stderr = terminal.wait_for_exit()
    assert code == 0, (code, stderr)
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert line("sv", "console.bye") in terminal.text()


def test_end_of_input_after_an_unfinished_line_answers_it_and_ends(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.wait_for_prompt(1)
    terminal.type("What is an ASF?\x04\x04")  # no Enter: Ctrl-D hands the line over, a second one ends the input
    code, stderr = terminal.wait_for_exit()
    assert code == 0, (code, stderr, terminal.text()[-300:])
    assert "Responsible:" in terminal.text()
    assert terminal.text().rstrip().endswith(line("en", "console.bye"))
    assert "Traceback" not in stderr


def test_end_of_input_at_the_prompt_ends_the_chat(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.wait_for_prompt(1)
    terminal.type("What is an ASF?\n")
    terminal.wait_for_prompt(2)
    terminal.type("\x04")
    code, stderr = terminal.wait_for_exit()
    assert code == 0, (code, stderr)
    assert "Responsible:" in terminal.text()
    assert terminal.text().rstrip().endswith(line("en", "console.bye"))
