"""What the Matrix channel keeps in the database (kept apart from the channel so migrations need no nio).

- `matrix_rooms`: each Matrix user's direct chat with the bot (where notifications go).
- `matrix_options`: the numbered options last shown to a user, so that "1" or an option's text
  becomes the same button payload as on other channels.
- `matrix_events`: event ids already handled (no user data), so an event seen again after a crash
  between answering and saving the sync token is not answered twice.
"""

from __future__ import annotations

import json
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
]


class MatrixStore:
    def __init__(self, db: Any, clock: Any) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> str:
        return self.clock.now().isoformat()

    async def claim(self, event_id: str) -> bool:
        """True the first time an event id is seen."""
        return await self.db.execute(
            "INSERT OR IGNORE INTO matrix_events(event_id, handled_at) VALUES (?, ?)", (event_id, self._now())
        ) == 1

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
        if not options:
            await self.db.execute("DELETE FROM matrix_options WHERE address = ?", (address,))
            return
        await self.db.execute(
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
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()
