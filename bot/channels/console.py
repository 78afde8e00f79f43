"""Console channel: a chat in the terminal, no account needed. Also scriptable through a pipe.

Buttons are shown as numbered options; typing the number or the option's text presses the button. Attachments are saved
to the user's own folder (owner-only, erased with the user's data: `ConsoleFiles`) and their path printed. Messages for
console addresses that are not at the keyboard (for example an official notified of a booking) wait in an outbox until
`chat --as ADDRESS`. Ctrl-C or the end of input ends the chat at once (`InputLines`).

The console's own lines (intro, prompt, notices) come from the catalogue in the user's language, read again
after every turn. Before a new user has said anything, a person at a terminal gets the terminal's language
(its locale), as Telegram users get their app's; a piped script gets DUKAT_LANG.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import hashlib
import json
import os
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

from ..messages import Attachment, Button, Incoming, Reply, choose

PREFIX = "console"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence: the first one set decides


def terminal_language(environ: Mapping[str, str]) -> str | None:
    """The language of the terminal's locale: "sv" for sv_SE.UTF-8, "en" for en_GB, None for C, POSIX or others."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            lang = value[:2].lower()
            return lang if lang in ("sv", "en") and (len(value) == 2 or not value[2].isalpha()) else None
    return None


def replies_to_json(replies: list[Reply]) -> str:
    return json.dumps(
        [
            {
                "text": r.text,
                "buttons": [[[b.label, b.payload] for b in row] for row in r.buttons],
                "attachments": [[a.filename, a.mime_type, base64.b64encode(a.content).decode()] for a in r.attachments],
            }
            for r in replies
        ],
        ensure_ascii=False,
    )


def replies_from_json(data: str) -> list[Reply]:
    return [
        Reply(
            r["text"],
            buttons=[[Button(label, payload) for label, payload in row] for row in r["buttons"]],
            attachments=[Attachment(name, base64.b64decode(content), mime) for name, mime, content in r["attachments"]],
        )
        for r in json.loads(data)
    ]


class ConsoleOutbox:
    """Pending messages for console addresses, kept in the database."""

    def __init__(self, db, clock) -> None:
        self.db = db
        self.clock = clock
        self.live: dict[str, Callable[[list[Reply]], None]] = {}

    async def deliver(self, address: str, replies: list[Reply]) -> None:
        show = self.live.get(address)
        if show is not None:
            show(replies)
            return
        await self.db.execute(
            "INSERT INTO console_outbox(address, replies, created_at) VALUES (?, ?, ?)",
            (address, replies_to_json(replies), self.clock.now().isoformat()),
        )

    async def take(self, address: str) -> list[Reply]:
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT id, replies FROM console_outbox WHERE address = ? ORDER BY id", (address,)
            ) as cur:
                rows = list(await cur.fetchall())
            await conn.execute("DELETE FROM console_outbox WHERE address = ?", (address,))
        return [reply for row in rows for reply in replies_from_json(row["replies"])]


class ConsoleFiles:
    """The files the console saves for a user (e.g. /mina_data's export, a meeting's .ics): one folder per address
    under `root`, readable by the owner only, and erased with the user's data (a personal-data source)."""

    name = "console_files"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, address: str) -> Path:
        """The address made safe for a file name, plus a hash of it so that two addresses never share a folder."""
        readable = re.sub(r"[^\w-]", "_", address)[:48]
        digest = hashlib.blake2b(address.encode(), digest_size=4).hexdigest()
        return self.root / f"{readable}-{digest}"

    def save(self, address: str, attachment: Attachment) -> Path:
        folder = self.folder(address)
        for directory in (self.root, folder):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(directory, 0o700)  # also a folder an earlier version made readable by all
        name = re.sub(r"[^\w.-]", "_", attachment.filename).lstrip(".") or "file"
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as file:
            os.fchmod(fd, 0o600)  # a file there from before keeps its mode otherwise
            file.write(attachment.content)
        return path.resolve()

    async def export(self, db: Any, address: str) -> list[str]:
        folder = self.folder(address)
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    async def erase(self, conn: Any, address: str, now: datetime) -> list:
        shutil.rmtree(self.folder(address), ignore_errors=True)
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()  # saving a file is no contact of its own


class InputLines:
    """The lines of the chat's input. A terminal or a pipe is watched by the event loop rather than read in a
    thread, so that Ctrl-C ends the chat at once: a read waiting in a thread would keep the process alive until
    Enter. Input that never blocks (a file, a StringIO) is read directly."""

    def __init__(self, inp: TextIO) -> None:
        self.inp = inp
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.decoder = codecs.getincrementaldecoder(getattr(inp, "encoding", None) or "utf-8")(errors="replace")
        self.partial = ""
        self.fd: int | None = None
        try:
            fd = inp.fileno()
            self.loop.add_reader(fd, self._readable)
            self.fd = fd
        except (AttributeError, OSError, ValueError, NotImplementedError):
            pass  # not a file descriptor the loop can watch: a regular file, /dev/null or text in memory

    def _readable(self) -> None:
        try:
            chunk = os.read(self.fd, 65536)  # type: ignore[arg-type]
        except OSError:
            chunk = b""  # e.g. the terminal was closed
        self.partial += self.decoder.decode(chunk, final=not chunk)
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            self.queue.put_nowait(line + "\n")
        if not chunk:  # end of input
            if self.partial:
                self.queue.put_nowait(self.partial)
            self.queue.put_nowait(None)
            self.close()

    async def next(self, stop: asyncio.Event) -> str | None:
        """The next line, or None at the end of input or once `stop` is set."""
        if stop.is_set():
            return None
        if self.fd is None and self.queue.empty():
            return self.inp.readline() or None
        line = asyncio.ensure_future(self.queue.get())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({line, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not line.done():
            line.cancel()
            return None
        return line.result()

    def close(self) -> None:
        if self.fd is not None:
            self.loop.remove_reader(self.fd)
            self.fd = None


class ConsoleChat:
    """One user's chat in the terminal. `lang_hint` is the language to use until the user has one (see the
    module docstring); `environ` is where `run` looks for the terminal's locale."""

    def __init__(self, app, address: str, out: TextIO = sys.stdout, attachments_dir: Path | None = None,
                 lang_hint: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.address = address
        self.out = out
        self.attachments_dir = attachments_dir or app.settings.outbox_dir()
        self.options: list[Button] = []
        self.lang_hint = lang_hint
        self.environ = os.environ if environ is None else environ
        self._lang: str | None = None  # the user's stored language, once read

    def t(self, key: str, **params: object) -> str:
        return self.app.catalogue.text(self.lang, key, **params)

    @property
    def lang(self) -> str:
        """The language of the console's own lines: the user's, else the hint, else the default."""
        return self._lang or self.lang_hint or self.app.settings.default_lang

    async def refresh_lang(self) -> None:
        self._lang = await self.app.users.lang_of(self.address)

    def show(self, replies: list[Reply]) -> None:
        options: list[Button] = []
        for reply in replies:
            self.out.write(f"{self.t('console.bot')}: {reply.text}\n")
            for button in reply.all_buttons():
                options.append(button)
                self.out.write(f"  [{len(options)}] {button.label}\n")
            for attachment in reply.attachments:
                path = self._save(attachment)
                self.out.write("  " + self.t("console.saved_attachment", path=path) + "\n")
        if options:
            self.options = options
        self.out.flush()

    def _save(self, attachment: Attachment) -> Path:
        return ConsoleFiles(self.attachments_dir).save(self.address, attachment)

    def to_incoming(self, line: str) -> Incoming:
        text = line.strip()
        payload = choose(text, [(b.label, b.payload) for b in self.options])
        if payload is not None:
            return Incoming(self.address, payload=payload, lang_hint=self.lang_hint)
        return Incoming(self.address, text=text, lang_hint=self.lang_hint)

    async def send(self, line: str) -> None:
        replies = await self.app.engine.handle(self.to_incoming(line))
        await self.refresh_lang()
        self.show(replies)

    async def show_pending(self, outbox: ConsoleOutbox, announce: bool) -> None:
        pending = await outbox.take(self.address)
        if pending:
            self.out.write(self.t("console.pending", address=self.address) + "\n")
            self.show(pending)
        elif announce:
            self.out.write(self.t("console.no_pending", address=self.address) + "\n")

    async def run(self, inp: TextIO, interactive: bool, outbox: ConsoleOutbox, announce_pending: bool = False,
                  stop: asyncio.Event | None = None) -> None:
        """Chat until the end of input, /quit, or `stop` (set by Ctrl-C): a turn under way is finished first."""
        stop = stop or asyncio.Event()
        if interactive and self.lang_hint is None and not self.environ.get("DUKAT_LANG"):
            self.lang_hint = terminal_language(self.environ)  # a person at a terminal, no language configured
        await self.refresh_lang()
        if interactive:
            self.out.write(self.t("console.intro") + "\n")
        await self.show_pending(outbox, announce_pending)
        outbox.live[self.address] = self.show
        lines = InputLines(inp)
        try:
            while not stop.is_set():
                if interactive:
                    self.out.write(f"{self.t('console.you')}: ")
                    self.out.flush()
                line = await lines.next(stop)
                if line is None:
                    break
                if line.strip() in ("/quit", "/exit"):
                    break
                if not interactive and not line.strip():
                    continue
                await self.send(line.rstrip("\n"))
        finally:
            lines.close()
            outbox.live.pop(self.address, None)
        if interactive:
            self.out.write("\n" + self.t("console.bye") + "\n")
            self.out.flush()
