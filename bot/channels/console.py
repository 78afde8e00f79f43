"""Console channel: a chat in the terminal, no account needed. Also scriptable through a pipe.

Buttons are shown as numbered options; typing the number or the option's text presses the button. Attachments are saved
to a folder and their path printed. Messages for console addresses that are not at the keyboard
(for example an official notified of a booking) wait in an outbox until `chat --as ADDRESS`.

The console's own lines (intro, prompt, notices) come from the catalogue in the user's language, read again
after every turn. Before a new user has said anything, a person at a terminal gets the terminal's language
(its locale), as Telegram users get their app's; a piped script gets DUKAT_LANG.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Callable, Mapping, TextIO

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
        self.attachments_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.-]", "_", attachment.filename) or "file"
        path = self.attachments_dir / safe
        path.write_bytes(attachment.content)
        return path.resolve()

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

    async def run(self, inp: TextIO, interactive: bool, outbox: ConsoleOutbox, announce_pending: bool = False) -> None:
        if interactive and self.lang_hint is None and not self.environ.get("DUKAT_LANG"):
            self.lang_hint = terminal_language(self.environ)  # a person at a terminal, no language configured
        await self.refresh_lang()
        if interactive:
            self.out.write(self.t("console.intro") + "\n")
        await self.show_pending(outbox, announce_pending)
        outbox.live[self.address] = self.show
        loop = asyncio.get_running_loop()
        try:
            while True:
                if interactive:
                    self.out.write(f"{self.t('console.you')}: ")
                    self.out.flush()
                line = await loop.run_in_executor(None, inp.readline)
                if not line:
                    break
                if line.strip() in ("/quit", "/exit"):
                    break
                if not interactive and not line.strip():
                    continue
                await self.send(line.rstrip("\n"))
        finally:
            outbox.live.pop(self.address, None)
        if interactive:
            self.out.write("\n" + self.t("console.bye") + "\n")
