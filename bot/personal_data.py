"""Where personal data lives: each package registers a source that can export, erase and expire it.

Erasing and expiring run inside one transaction over all sources, so nothing is half-deleted. A source
may return follow-up actions (e.g. telling officials a meeting was cancelled) run after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

FollowUp = Callable[[], Awaitable[None]]


class PersonalDataSource(Protocol):
    name: str

    async def export(self, db: Any, address: str) -> Any:
        """Everything stored about `address`, as JSON-serialisable data."""

    async def erase(self, conn: Any, address: str, now: datetime) -> list[FollowUp]:
        """Delete everything about `address` using `conn` (inside the caller's transaction)."""

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        """Addresses with activity of this source's kind (e.g. a meeting) at or after `cutoff`."""


class PersonalData:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.sources: list[PersonalDataSource] = []

    def register(self, source: PersonalDataSource) -> None:
        """Sources are erased in reverse order of registration: dependants before what they refer to."""
        self.sources.append(source)

    async def export(self, address: str) -> dict[str, Any]:
        return {source.name: await source.export(self.db, address) for source in self.sources}

    async def erase(self, address: str, now: datetime) -> None:
        follow_ups: list[FollowUp] = []
        async with self.db.transaction() as conn:
            for source in reversed(self.sources):
                follow_ups += await source.erase(conn, address, now)
        for action in follow_ups:
            await action()

    async def expire(self, cutoff: datetime, now: datetime) -> set[str]:
        """Erase founders whose last contact and last meeting are both before `cutoff`."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT address FROM users WHERE last_seen < ? AND role = 'founder'", (cutoff.isoformat(),)
            ) as cur:
                stale = {row[0] for row in await cur.fetchall()}
            for source in self.sources:
                stale -= await source.active_since(conn, cutoff)
            for address in sorted(stale):
                for source in reversed(self.sources):
                    await source.erase(conn, address, now)
        return stale


class BotPersonalData:
    """The bot's own tables: users (profile, language, recent topics) and conversation state."""

    name = "profile"

    async def export(self, db: Any, address: str) -> Any:
        user = await db.fetchone(
            ("SELECT address, lang, lang_explicit, role, recent_topics, pending, context, created_at, last_seen"
            " FROM users WHERE address = ?"),
            (address,),
        )
        session = await db.fetchone("SELECT flow, step, data, updated_at FROM sessions WHERE address = ?", (address,))
        outbox = await db.fetchall("SELECT replies, created_at FROM console_outbox WHERE address = ?", (address,))
        return {
            "user": dict(user) if user else None,
            "conversation": dict(session) if session else None,
            "waiting_messages": [dict(r) for r in outbox],
        }

    async def erase(self, conn: Any, address: str, now: datetime) -> list[FollowUp]:
        await conn.execute("DELETE FROM sessions WHERE address = ?", (address,))
        await conn.execute("DELETE FROM console_outbox WHERE address = ?", (address,))
        await conn.execute("DELETE FROM users WHERE address = ?", (address,))
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()  # the users table's last_seen is the base of the expiry query itself
