"""Each official's calendar feed: a secret address their calendar program subscribes to, listing their meetings.

The secret is random (`secrets.token_urlsafe`), one per official, made when first asked for; `reset` replaces it,
and the old address then finds nothing. The feed lists the official's meetings from `FEED_DAYS_BACK` days ago
on; one they no longer attend (cancelled, declined, replaced) stays in it as cancelled, so a subscribed
calendar drops it instead of keeping the old event.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from . import repository as repo
from .model import InvalidRequest, Meeting, MeetingState, Official, Participant

FEED_DAYS_BACK = 30
SECRET_BYTES = 32  # 43 characters in the address
SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{20,100}")


async def _row(conn: Any, sql: str, params: tuple) -> Any:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


class UnknownOfficial(InvalidRequest):
    code = "unknown_official"


@dataclass(frozen=True)
class FeedEntry:
    meeting: Meeting
    participants: tuple[Participant, ...]
    cancelled: bool  # for this official: the meeting is cancelled or they no longer attend it


class CalendarFeeds:
    def __init__(self, db: Any, clock: Any) -> None:
        self.db = db
        self.clock = clock

    async def secret(self, official_id: str) -> str:
        """The official's feed secret, made now if they have none. UnknownOfficial when there is no such official."""
        async with self.db.transaction() as conn:
            await self._check(conn, official_id)
            row = await _row(conn, "SELECT secret FROM official_feeds WHERE official_id = ?", (official_id,))
            if row is not None:
                return row["secret"]
            return await self._store(conn, official_id)

    async def reset(self, official_id: str) -> str:
        """A new secret for the official; the old address stops working at once."""
        async with self.db.transaction() as conn:
            await self._check(conn, official_id)
            return await self._store(conn, official_id)

    async def official_for(self, secret: str) -> Official | None:
        """The active official whose feed has this secret, or None."""
        if not SECRET_FORM.fullmatch(secret):
            return None
        async with self.db.read() as conn:
            row = await _row(conn, "SELECT o.* FROM officials o JOIN official_feeds f ON f.official_id = o.id"
                                        " WHERE f.secret = ?", (secret,))
        official = repo.official_from_row(row) if row is not None else None
        return official if official is not None and official.active else None

    async def entries(self, official_id: str) -> list[FeedEntry]:
        """The official's meetings ending less than FEED_DAYS_BACK days ago or later, earliest first."""
        since = self.clock.now() - timedelta(days=FEED_DAYS_BACK)
        async with self.db.read() as conn:
            meetings = await repo.official_meetings(conn, official_id, since)
            return [
                FeedEntry(m, tuple(await repo.participants(conn, m.id)),
                          cancelled=m.state == MeetingState.CANCELLED or official_id not in m.official_ids)
                for m in meetings
            ]

    @staticmethod
    async def _check(conn: Any, official_id: str) -> None:
        if await _row(conn, "SELECT 1 FROM officials WHERE id = ?", (official_id,)) is None:
            raise UnknownOfficial("unknown official", official_id=official_id)

    async def _store(self, conn: Any, official_id: str) -> str:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        await conn.execute(
            "INSERT INTO official_feeds(official_id, secret, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT(official_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
            (official_id, secret, self.clock.now().isoformat()),
        )
        return secret
