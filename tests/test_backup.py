"""Online backup while writing, and restore."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat

from bot.db import Database, integrity_problems, restore_from
from tests.test_cli import run


async def test_backup_taken_while_writing_restores_to_a_consistent_database(app, tmp_path):
    stop = asyncio.Event()

    async def writer() -> int:
        n = 0
        while not stop.is_set():
            async with app.db.transaction() as conn:
                # Two rows per transaction: a consistent copy always has an even count.
                await conn.execute("INSERT INTO unanswered(text, lang, created_at) VALUES ('a', 'sv', 'x')")
                await conn.execute("INSERT INTO unanswered(text, lang, created_at) VALUES ('b', 'sv', 'x')")
            n += 1
            await asyncio.sleep(0)
        return n

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    await app.db.backup_to(tmp_path / "backup.db")
    stop.set()
    assert await task > 0
    assert await integrity_problems(tmp_path / "backup.db") == []
    count = sqlite3.connect(tmp_path / "backup.db").execute("SELECT count(*) FROM unanswered").fetchone()[0]
    assert count % 2 == 0
    restored = tmp_path / "restored.db"
    await restore_from(tmp_path / "backup.db", restored)
    db = await Database.open(restored)
    assert (await db.fetchone("SELECT count(*) AS n FROM unanswered"))["n"] == count
    await db.close()


def test_database_file_is_private_to_its_owner(tmp_path):
    async def create() -> None:
        db = await Database.open(tmp_path / "private.db")
        await db.close()

    asyncio.run(create())
    assert stat.S_IMODE(os.stat(tmp_path / "private.db").st_mode) == 0o600


def test_backup_and_restore_commands(tmp_path):
    run(["ask", "hej"], tmp_path)  # no state; create the db through chat instead
    assert run(["chat"], tmp_path, stdin="Vad är ett ASF?\n").returncode == 0
    result = run(["backup", str(tmp_path / "b.db")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert run(["backup", str(tmp_path / "b.db")], tmp_path).returncode != 0  # never overwrites
    (tmp_path / "junk.db").write_bytes(b"not a database")
    bad = run(["restore", "--yes", str(tmp_path / "junk.db")], tmp_path)
    assert bad.returncode != 0
    good = run(["restore", "--yes", str(tmp_path / "b.db")], tmp_path)
    assert good.returncode == 0, good.stderr
