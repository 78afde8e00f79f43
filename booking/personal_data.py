"""The booking package's personal data: a founder's meetings (and a linked official's chat address).

Follows bot.personal_data.PersonalDataSource (duck-typed, so booking does not import bot).
Erasing cancels the founder's upcoming meetings (the officials are told after the commit) and then
deletes every meeting of theirs with its participants and reminder log. Expiry never takes an active
official's link: the official keeps it, however long they are silent, for as long as they are one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import repository as repo


class BookingPersonalData:
    name = "booking"

    def __init__(self, service: Any) -> None:
        self.service = service

    async def export(self, db: Any, address: str) -> Any:
        async with db.read() as conn:
            meetings = await repo.founder_meetings(conn, address)
            officials = {o.id: o for o in await repo.officials(conn)}
            linked = await repo.official_by_address(conn, address)
        return {
            "meetings": [
                {
                    "ref": m.ref, "start": m.start, "end": m.end, "state": str(m.state),
                    "topics": list(m.topics), "municipality": m.municipality, "idea": m.idea, "place": m.place,
                    "officials": [officials[i].name for i in m.official_ids if i in officials],
                }
                for m in meetings
            ],
            "linked_official": linked.id if linked else None,
        }

    async def erase(self, conn: Any, address: str, now: datetime) -> list[Any]:
        meetings = await repo.founder_meetings(conn, address)
        notices = []
        for m in meetings:
            if m.active and m.start > now:
                _, told = await self.service._cancel_in(conn, m, now)
                notices += told
        ids = [m.id for m in meetings]
        for meeting_id in ids:
            await conn.execute("DELETE FROM reminders_sent WHERE meeting_id = ?", (meeting_id,))
            await conn.execute("DELETE FROM participants WHERE meeting_id = ?", (meeting_id,))
            await conn.execute("DELETE FROM meetings WHERE id = ?", (meeting_id,))
        await conn.execute("DELETE FROM reminders_sent WHERE recipient = ?", (address,))
        await conn.execute("UPDATE officials SET address = NULL WHERE address = ?", (address,))

        async def tell() -> None:
            await self.service._tell(notices)

        return [tell] if notices else []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        async with conn.execute(
            "SELECT DISTINCT founder_address FROM meetings WHERE end_utc >= ? OR updated_at >= ?",
            (cutoff.isoformat(), cutoff.isoformat()),
        ) as cur:
            founders = {row[0] for row in await cur.fetchall()}
        # The official role as BookingService.is_official grants it: linked to an active official.
        officials = {o.address for o in await repo.officials(conn, include_inactive=False) if o.address}
        return founders | officials
