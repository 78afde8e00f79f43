"""What the Matrix channel keeps in the database (kept apart from the channel so migrations need no nio).

- `matrix_rooms`: each Matrix user's direct chat with the bot (where notifications go).
- `matrix_options`: the numbered options last shown to a user, so that "1" or an option's text
  becomes the same button payload as on other channels.
- `matrix_events`: the events answered. The answer (what will be sent, with the room and the user) is
  written in the same transaction as the turn's state, and dropped once it is sent: an event seen
  again is not handled again, and an answer not yet sent when the bot stopped is sent at the next start.
  A row without an answer holds no user data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

KEEP_EVENTS = timedelta(days=2)

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        -- A Matrix user's direct chat with the bot (address 'mx:@user:server').
        CREATE TABLE matrix_rooms (
            address TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- The numbered options last offered to a user: JSON [[label, payload], ...].
        CREATE TABLE matrix_options (
            address TEXT PRIMARY KEY,
            options TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- Handled event ids (no user data): an event delivered again is skipped.
        CREATE TABLE matrix_events (
            event_id TEXT PRIMARY KEY,
            handled_at TEXT NOT NULL
        );
        CREATE INDEX matrix_events_handled_at ON matrix_events(handled_at);
        """,
    ),
    (
        2,
        """
        -- The answer to an event until it is sent: JSON {"contents": [...], "files": [[name, mime, base64], ...]},
        -- with the room it goes to and the user who wrote. All three are NULL once it is sent.
        ALTER TABLE matrix_events ADD COLUMN room_id TEXT;
        ALTER TABLE matrix_events ADD COLUMN address TEXT;
        ALTER TABLE matrix_events ADD COLUMN answer TEXT;
        CREATE INDEX matrix_events_unsent ON matrix_events(address) WHERE answer IS NOT NULL;
        """,
    ),
]


@dataclass(frozen=True)
class Answer:
    """What the bot answers to one event: message contents and files, sent in this order."""

    event_id: str
    room_id: str
    address: str
    contents: list[dict[str, Any]]
    files: list[tuple[str, str, str]]  # filename, mime type, content in base64

    def to_json(self) -> str:
        return json.dumps({"contents": self.contents, "files": self.files}, ensure_ascii=False)

    @classmethod
    def from_row(cls, row: Any) -> "Answer":
        data = json.loads(row["answer"])
        return cls(row["event_id"], row["room_id"], row["address"], data["contents"],
                   [tuple(f) for f in data["files"]])  # type: ignore[misc]


class MatrixStore:
    def __init__(self, db: Any, clock: Any) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> str:
        return self.clock.now().isoformat()

    async def record(self, conn: Any, answer: Answer, options: list[tuple[str, str]] | None) -> None:
        """Keep `answer` until it is sent, inside the caller's transaction (the one that saves the turn);
        `options` (None: leave them) become the numbered options the user's next answer is read against."""
        await conn.execute(
            "INSERT INTO matrix_events(event_id, handled_at, room_id, address, answer) VALUES (?, ?, ?, ?, ?)",
            (answer.event_id, self._now(), answer.room_id, answer.address, answer.to_json()),
        )
        if options is not None:
            await self._set_options(conn, answer.address, options)

    async def answered(self, event_id: str) -> Answer | bool:
        """False: not answered yet; True: answered and sent; an `Answer`: answered, not (all) sent yet."""
        row = await self.db.fetchone(
            "SELECT event_id, room_id, address, answer FROM matrix_events WHERE event_id = ?", (event_id,))
        if row is None:
            return False
        return Answer.from_row(row) if row["answer"] is not None else True

    async def sent(self, event_id: str) -> None:
        """The whole answer to `event_id` is sent: keep only the event id (no user data)."""
        await self.db.execute(
            "UPDATE matrix_events SET room_id = NULL, address = NULL, answer = NULL WHERE event_id = ?", (event_id,))

    async def unsent(self, address: str | None = None) -> list[Answer]:
        """Answers not (all) sent yet, oldest first; only `address`'s when given."""
        where, params = ("AND address = ?", (address,)) if address else ("", ())
        rows = await self.db.fetchall(
            f"SELECT event_id, room_id, address, answer FROM matrix_events WHERE answer IS NOT NULL {where}"
            " ORDER BY handled_at, rowid", params)
        return [Answer.from_row(row) for row in rows]

    async def prune(self, now: datetime | None = None) -> int:
        cutoff = (now or self.clock.now()) - KEEP_EVENTS
        return await self.db.execute("DELETE FROM matrix_events WHERE handled_at < ?", (cutoff.isoformat(),))

    async def room_of(self, address: str) -> str | None:
        row = await self.db.fetchone("SELECT room_id FROM matrix_rooms WHERE address = ?", (address,))
        return row["room_id"] if row else None

    async def set_room(self, address: str, room_id: str) -> None:
        await self.db.execute(
            "INSERT INTO matrix_rooms(address, room_id, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(address) DO UPDATE SET room_id = excluded.room_id, updated_at = excluded.updated_at"
            " WHERE matrix_rooms.room_id != excluded.room_id",
            (address, room_id, self._now()),
        )

    async def forget_room(self, room_id: str) -> None:
        await self.db.execute("DELETE FROM matrix_rooms WHERE room_id = ?", (room_id,))

    async def options(self, address: str) -> list[tuple[str, str]]:
        row = await self.db.fetchone("SELECT options FROM matrix_options WHERE address = ?", (address,))
        return [tuple(pair) for pair in json.loads(row["options"])] if row else []  # type: ignore[misc]

    async def set_options(self, address: str, options: list[tuple[str, str]]) -> None:
        async with self.db.transaction() as conn:
            await self._set_options(conn, address, options)

    async def _set_options(self, conn: Any, address: str, options: list[tuple[str, str]]) -> None:
        if not options:
            await conn.execute("DELETE FROM matrix_options WHERE address = ?", (address,))
            return
        await conn.execute(
            "INSERT INTO matrix_options(address, options, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(address) DO UPDATE SET options = excluded.options, updated_at = excluded.updated_at",
            (address, json.dumps(options, ensure_ascii=False), self._now()),
        )


class MatrixPersonalData:
    """The direct-chat room and last options of a Matrix user: exported and erased with the rest."""

    name = "matrix"

    async def export(self, db: Any, address: str) -> Any:
        room = await db.fetchone("SELECT room_id FROM matrix_rooms WHERE address = ?", (address,))
        options = await db.fetchone("SELECT options FROM matrix_options WHERE address = ?", (address,))
        return {"direct_room": room["room_id"] if room else None,
                "options": [label for label, _ in json.loads(options["options"])] if options else []}

    async def erase(self, conn: Any, address: str, now: datetime) -> list:
        await conn.execute("DELETE FROM matrix_rooms WHERE address = ?", (address,))
        await conn.execute("DELETE FROM matrix_options WHERE address = ?", (address,))
        # Answers not sent yet are dropped; their events stay known, so they are not handled again.
        await conn.execute("UPDATE matrix_events SET room_id = NULL, address = NULL, answer = NULL"
                           " WHERE address = ?", (address,))
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()
