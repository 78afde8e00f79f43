"""Where personal data lives: each package registers a source that can export, erase and expire it.

Erasing and expiring run inside one transaction over all sources, so nothing is half-deleted. A source
may return follow-up actions (e.g. telling officials a meeting was cancelled) run after the commit.
Sources export times as aware datetimes; the export shows them in Stockholm time with the offset.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Awaitable, Callable, Protocol

from knowledge.municipalities import get_municipality

from .clock import STOCKHOLM

FollowUp = Callable[[], Awaitable[None]]


class PersonalDataSource(Protocol):
    name: str

    async def export(self, db: Any, address: str) -> Any:
        """Everything stored about `address`, as JSON-serialisable data and aware datetimes."""

    async def erase(self, conn: Any, address: str, now: datetime) -> list[FollowUp]:
        """Delete everything about `address` using `conn` (inside the caller's transaction)."""

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        """Addresses to keep at `cutoff`: activity of this source's kind (e.g. a meeting) at or after it, or a
        role this source gives (a linked official, a coordinator), which keeps them for as long as they hold it."""


def in_zone(data: Any, zone: tzinfo) -> Any:
    """`data` with every datetime in it written as ISO 8601 in `zone`, with the offset: 2026-03-12T15:00:00+01:00."""
    if isinstance(data, datetime):
        return data.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(data, dict):
        return {key: in_zone(value, zone) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [in_zone(value, zone) for value in data]
    return data


def stored_time(value: str | None) -> datetime | None:
    """A time as the tables keep it (ISO 8601, UTC), for an export."""
    return datetime.fromisoformat(value) if value else None


class PersonalData:
    def __init__(self, db: Any, zone: tzinfo = STOCKHOLM) -> None:
        self.db = db
        self.zone = zone  # the times in an export: the zone every time the bot shows is in
        self.sources: list[PersonalDataSource] = []

    def register(self, source: PersonalDataSource) -> None:
        """Sources are erased in reverse order of registration: dependants before what they refer to."""
        self.sources.append(source)

    async def export(self, address: str) -> dict[str, Any]:
        data = {source.name: await source.export(self.db, address) for source in self.sources}
        return {"time_zone": str(self.zone), **in_zone(data, self.zone)}

    async def erase(self, address: str, now: datetime) -> None:
        follow_ups: list[FollowUp] = []
        async with self.db.transaction() as conn:
            for source in reversed(self.sources):
                follow_ups += await source.erase(conn, address, now)
        for action in follow_ups:
            await action()

    async def expire(self, cutoff: datetime, now: datetime) -> set[str]:
        """Erase founders whose last contact and last meeting are both before `cutoff`. Officials and
        coordinators are kept whenever they last wrote: their sources keep them while they hold the role."""
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT address FROM users WHERE last_seen < ?", (cutoff.isoformat(),)) as cur:
                stale = {row[0] for row in await cur.fetchall()}
            for source in self.sources:
                stale -= await source.active_since(conn, cutoff)
            for address in sorted(stale):
                for source in reversed(self.sources):
                    await source.erase(conn, address, now)
        return stale


class BotPersonalData:
    """The bot's own tables: users (profile, language, recent topics, own municipality) and conversation state."""

    name = "profile"

    async def export(self, db: Any, address: str) -> Any:
        user = await db.fetchone(
            ("SELECT address, lang, lang_explicit, recent_topics, pending, context, municipality, municipality_skipped,"
             " created_at, last_seen"
            " FROM users WHERE address = ?"),
            (address,),
        )
        session = await db.fetchone("SELECT flow, step, data, updated_at FROM sessions WHERE address = ?", (address,))
        outbox = await db.fetchall("SELECT replies, created_at FROM console_outbox WHERE address = ?", (address,))
        profile = _with_times(user, "created_at", "last_seen")
        if profile is not None and profile["municipality"]:
            home = get_municipality(profile["municipality"])
            profile["municipality_name"] = (home.official or home.name) if home else None
        return {
            "user": profile,
            "conversation": _with_times(session, "updated_at"),
            "waiting_messages": [_with_times(r, "created_at") for r in outbox],
        }

    async def erase(self, conn: Any, address: str, now: datetime) -> list[FollowUp]:
        await conn.execute("DELETE FROM sessions WHERE address = ?", (address,))
        await conn.execute("DELETE FROM console_outbox WHERE address = ?", (address,))
        await conn.execute("DELETE FROM users WHERE address = ?", (address,))
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()  # the users table's last_seen is the base of the expiry query itself


def _with_times(row: Any, *columns: str) -> dict[str, Any] | None:
    """A row as a dict, its time `columns` as datetimes."""
    if row is None:
        return None
    return {**dict(row), **{column: stored_time(row[column]) for column in columns}}
