"""A DUKAT_DB that cannot be used (a text file, a folder, a path that cannot be created): every command says what
is wrong and exits 1 at once (it used to print a traceback and hang, its connection left open), changing nothing."""

from __future__ import annotations

import threading

import pytest

from bot.app import all_migrations
from bot.catalogue import Catalogue
from bot.db import Database, DatabaseUnusable

from .test_cli import run

CATALOGUE = Catalogue.load()
TEXT = "This is a note, not a database.\n" * 40


def told(stderr: str, path, reason: str) -> bool:
    """The message names the file and says why in words (the system's own message follows in brackets)."""
    said = CATALOGUE.text("sv", "cli_problems.database", path=path, reason=CATALOGUE.text("sv", f"cli_problems.database_{reason}"),
                          detail="DETAIL")
    before, _, after = said.partition("DETAIL")
    return before in stderr and after in stderr


@pytest.mark.parametrize("command, stdin", [
    (["chat"], "hej\n"),
    (["officials", "list"], ""),
    (["meetings", "list"], ""),
    (["coordinators", "list"], ""),
    (["report", "--from", "2026-03-01", "--to", "2026-03-31"], ""),
    (["backup", "BACKUP"], ""),
    (["run"], ""),
])
def test_a_text_file_as_database_is_told_and_ends_with_1(tmp_path, command, stdin):
    database = tmp_path / "notes.txt"
    database.write_text(TEXT)
    command = [str(tmp_path / "b.db") if part == "BACKUP" else part for part in command]
    # `run` has a channel configured (it opens the database before it ever reaches Telegram).
    env = {"DUKAT_DB": str(database), "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot"}
    result = run(command, tmp_path, stdin=stdin, env=env)  # the helper's timeout fails a command that hangs
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert told(result.stderr, database, "not_sqlite"), result.stderr
    assert database.read_text() == TEXT, "nothing was changed"
    assert not (tmp_path / "b.db").exists()


@pytest.mark.parametrize("where, reason", [
    ("folder", "is_directory"),  # DUKAT_DB names a folder
    ("file/inside.db", "file_in_path"),  # a file stands where a folder should be
    ("/proc/no-such/dukat.db", "no_directory"),  # a folder that cannot be created
])
def test_a_database_path_that_cannot_be_a_file_is_told(tmp_path, where, reason):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    path = tmp_path / where
    result = run(["officials", "list"], tmp_path, env={"DUKAT_DB": str(path)})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert told(result.stderr, path, reason), result.stderr


async def test_opening_a_text_file_closes_the_connection_and_says_why(tmp_path):
    database = tmp_path / "notes.txt"
    database.write_text(TEXT)
    before = set(threading.enumerate())
    with pytest.raises(DatabaseUnusable) as caught:
        await Database.open(database, all_migrations())
    assert (caught.value.path, caught.value.reason) == (str(database), "not_sqlite")
    started = set(threading.enumerate()) - before
    for thread in started:  # aiosqlite's worker thread ends once its connection is closed, else never
        thread.join(timeout=10)
    assert not [t for t in started if t.is_alive()], "a connection thread was left running: the process would not exit"
    assert database.read_text() == TEXT
