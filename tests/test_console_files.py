"""Files the console saves (e.g. /mina_data's export, a meeting's .ics) are each user's own: one folder per user,
readable by its owner only, and erased with the user's data (/glom and retention)."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import timedelta
from io import StringIO
from pathlib import Path

from bot.catalogue import Catalogue
from bot.channels.console import ConsoleChat, ConsoleFiles
from bot.messages import Attachment

from .test_cli import run

CATALOGUE = Catalogue.load()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def saved_paths(stdout: str) -> list[Path]:
    prefix, _, _ = CATALOGUE.text("sv", "console.saved_attachment", path="PATH").partition("PATH")
    return [Path(line.strip()[len(prefix):]) for line in stdout.splitlines() if line.strip().startswith(prefix)]


def my_data(tmp_path: Path, who: str) -> Path:
    result = run(["chat", "--as", who], tmp_path, stdin="/mina_data\n")
    assert result.returncode == 0, result.stderr
    (path,) = saved_paths(result.stdout)
    return path


def test_each_user_gets_their_own_owner_only_files(tmp_path):
    anna, bertil = my_data(tmp_path, "anna"), my_data(tmp_path, "bertil")
    assert anna != bertil and anna.name == bertil.name == "mina-data.json"
    assert json.loads(anna.read_text())["profile"]["user"]["address"] == "console:anna", "bertil's export left anna's alone"
    assert json.loads(bertil.read_text())["profile"]["user"]["address"] == "console:bertil"
    root = tmp_path / "data" / "attachments"
    for path in (anna, bertil):
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700 and path.parent.parent == root
    assert mode(root) == 0o700


def test_forget_me_erases_the_users_files_and_no_one_elses(tmp_path):
    anna, bertil = my_data(tmp_path, "anna"), my_data(tmp_path, "bertil")
    yes = CATALOGUE.text("sv", "privacy.erase_yes")
    result = run(["chat", "--as", "anna"], tmp_path, stdin=f"/glom\n{yes}\n")
    assert CATALOGUE.text("sv", "privacy.erased") in result.stdout, result.stdout
    assert not anna.exists() and not anna.parent.exists()
    assert bertil.exists()


async def test_retention_erases_the_files_of_those_it_forgets(app, clock, tmp_path):
    paths = {}
    for address in ("console:old", "console:recent"):
        out = StringIO()
        await ConsoleChat(app, address, out=out).send("/mina_data")
        (paths[address],) = saved_paths(out.getvalue())
        if address == "console:old":
            clock.advance(days=60)
    clock.advance(days=31)  # old: 91 days since its last contact, recent: 31
    now = clock.now()
    erased = await app.personal_data.expire(now - timedelta(days=app.settings.retention_days), now)
    assert "console:old" in erased and "console:recent" not in erased
    assert not paths["console:old"].parent.exists()
    assert paths["console:recent"].exists()


def test_files_from_before_are_made_owner_only_when_saved_again(tmp_path):
    files = ConsoleFiles(tmp_path / "attachments")
    folder = files.folder("console:anna")
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(tmp_path / "attachments", 0o755)
    (folder / "mina-data.json").write_text("old")
    os.chmod(folder / "mina-data.json", 0o644)
    path = files.save("console:anna", Attachment("mina-data.json", b"new", "application/json"))
    assert path.read_bytes() == b"new"
    assert (mode(path), mode(folder), mode(tmp_path / "attachments")) == (0o600, 0o700, 0o700)


def test_folders_never_mix_users_and_names_never_leave_the_folder(tmp_path):
    files = ConsoleFiles(tmp_path)
    addresses = ["console:a_b", "console:a:b", "console:a/b", "mx:@a:b.org", "tg:1"]
    folders = {files.folder(a) for a in addresses}
    assert len(folders) == len(addresses)
    assert all(f.parent == tmp_path and re.fullmatch(r"[\w-]+", f.name) for f in folders)
    path = files.save("console:x", Attachment("../../etc/passwd", b"x", "text/plain"))
    assert path.parent == files.folder("console:x").resolve()
