"""Reading and writing the booking tables. Functions take a connection (aiosqlite, inside the
caller's transaction where it matters) and return the plain domain objects of booking.model."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Iterable

from .busy import BusyMap
from .model import (
    AvailabilityException, Meeting, MeetingVersion, Official, Organisation, Participant, WeeklyWindow, utc,
)


@dataclass(frozen=True)
class Snapshot:
    """Everything the slot finder needs, read at one moment."""

    organisations: dict[str, Organisation]
    officials: list[Official]
    windows: list[WeeklyWindow]
    exceptions: list[AvailabilityException]
    meetings: list[Meeting]  # active meetings that end after the read's lower bound
    busy: BusyMap = field(default_factory=dict)  # busy times from the officials' own calendars (booking/busy.py)

    def official(self, official_id: str) -> Official | None:
        return next((o for o in self.officials if o.id == official_id), None)


async def _all(conn: Any, sql: str, params: Iterable[Any] = ()) -> list[Any]:
    async with conn.execute(sql, tuple(params)) as cur:
        return list(await cur.fetchall())


async def _one(conn: Any, sql: str, params: Iterable[Any] = ()) -> Any:
    async with conn.execute(sql, tuple(params)) as cur:
        return await cur.fetchone()


def _iso(when: datetime) -> str:
    return utc(when).isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def official_from_row(row: Any) -> Official:
    return Official(
        id=row["id"], name=row["name"], organisation_id=row["organisation_id"],
        topics=json.loads(row["topics"]), municipalities=json.loads(row["municipalities"]),
        address=row["address"], lang=row["lang"], active=bool(row["active"]),
        email=row["email"], notify_via=row["notify_via"],
    )


async def organisations(conn: Any) -> dict[str, Organisation]:
    rows = await _all(conn, "SELECT id, name, authority_id FROM organisations ORDER BY id")
    return {r["id"]: Organisation(r["id"], r["name"], r["authority_id"]) for r in rows}


async def organisation_place(conn: Any, organisation_id: str) -> str | None:
    row = await _one(conn, "SELECT place FROM organisations WHERE id = ?", (organisation_id,))
    return row["place"] if row else None


async def officials(conn: Any, include_inactive: bool = True) -> list[Official]:
    sql = "SELECT * FROM officials" + ("" if include_inactive else " WHERE active = 1") + " ORDER BY id"
    return [official_from_row(r) for r in await _all(conn, sql)]


async def official_by_address(conn: Any, address: str) -> Official | None:
    row = await _one(conn, "SELECT * FROM officials WHERE address = ?", (address,))
    return official_from_row(row) if row else None


async def official_by_id(conn: Any, official_id: str) -> Official | None:
    row = await _one(conn, "SELECT * FROM officials WHERE id = ?", (official_id,))
    return official_from_row(row) if row else None


async def official_by_email(conn: Any, email: str) -> Official | None:
    row = await _one(conn, "SELECT * FROM officials WHERE email = ? COLLATE NOCASE", (email,))
    return official_from_row(row) if row else None


async def windows(conn: Any) -> list[WeeklyWindow]:
    rows = await _all(conn, "SELECT * FROM weekly_windows ORDER BY official_id, weekday, start_local")
    return [
        WeeklyWindow(r["official_id"], r["weekday"], time.fromisoformat(r["start_local"]), time.fromisoformat(r["end_local"]))
        for r in rows
    ]


async def exceptions(conn: Any, since: datetime) -> list[AvailabilityException]:
    rows = await _all(conn, "SELECT * FROM availability_exceptions WHERE end_utc > ? ORDER BY start_utc", (_iso(since),))
    return [AvailabilityException(r["official_id"], _dt(r["start_utc"]), _dt(r["end_utc"]), r["kind"]) for r in rows]


async def _meetings_from_rows(conn: Any, rows: list[Any]) -> list[Meeting]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    attending: dict[str, list[str]] = {i: [] for i in ids}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for p in await _all(
            conn,
            f"SELECT meeting_id, official_id FROM participants WHERE meeting_id IN ({marks}) AND state != 'declined'"
            " ORDER BY rowid",
            part,
        ):
            attending[p["meeting_id"]].append(p["official_id"])
    return [
        Meeting(
            id=r["id"], ref=r["ref"], founder_address=r["founder_address"], start=_dt(r["start_utc"]),
            end=_dt(r["end_utc"]), place=r["place"], topics=tuple(json.loads(r["topics"])),
            municipality=r["municipality"], idea=r["idea"], state=r["state"],
            official_ids=tuple(attending[r["id"]]), sequence=r["sequence"],
        )
        for r in rows
    ]


async def active_meetings(conn: Any, ending_after: datetime) -> list[Meeting]:
    rows = await _all(
        conn, "SELECT * FROM meetings WHERE state != 'cancelled' AND end_utc > ? ORDER BY start_utc, id", (_iso(ending_after),)
    )
    return await _meetings_from_rows(conn, rows)


async def meetings_between(conn: Any, start: datetime, end: datetime, include_cancelled: bool = False) -> list[Meeting]:
    state = "" if include_cancelled else " AND state != 'cancelled'"
    rows = await _all(
        conn, f"SELECT * FROM meetings WHERE start_utc >= ? AND start_utc < ?{state} ORDER BY start_utc, id",
        (_iso(start), _iso(end)),
    )
    return await _meetings_from_rows(conn, rows)


async def official_meetings(conn: Any, official_id: str, ending_after: datetime) -> list[Meeting]:
    """Every meeting the official was ever asked to (declined, moved away from or cancelled included) that ends
    after `ending_after`, earliest first."""
    rows = await _all(
        conn,
        "SELECT m.* FROM meetings m WHERE m.end_utc > ? AND ("
        " EXISTS (SELECT 1 FROM participants p WHERE p.meeting_id = m.id AND p.official_id = ?)"
        " OR EXISTS (SELECT 1 FROM meeting_versions v, json_each(v.official_ids) j"
        "            WHERE v.meeting_id = m.id AND j.value = ?))"
        " ORDER BY m.start_utc, m.id",
        (_iso(ending_after), official_id, official_id),
    )
    return await _meetings_from_rows(conn, rows)


async def founder_meetings(conn: Any, founder_address: str) -> list[Meeting]:
    rows = await _all(conn, "SELECT * FROM meetings WHERE founder_address = ? ORDER BY start_utc", (founder_address,))
    return await _meetings_from_rows(conn, rows)


async def meeting_by_ref(conn: Any, ref: str) -> Meeting | None:
    rows = await _all(conn, "SELECT * FROM meetings WHERE ref = ?", (ref.upper(),))
    found = await _meetings_from_rows(conn, rows)
    return found[0] if found else None


async def meeting_extra(conn: Any, meeting_id: str) -> dict[str, Any]:
    row = await _one(conn, "SELECT lang, share_guide, scheduled_at, created_at FROM meetings WHERE id = ?", (meeting_id,))
    return dict(row) if row else {}


async def participants(conn: Any, meeting_id: str) -> list[Participant]:
    rows = await _all(conn, "SELECT official_id, state FROM participants WHERE meeting_id = ? ORDER BY rowid", (meeting_id,))
    return [Participant(meeting_id, r["official_id"], r["state"]) for r in rows]


async def snapshot(conn: Any, now: datetime) -> Snapshot:
    # Meetings that ended up to a day ago still count toward today's cap per official.
    since = now - timedelta(days=1)
    return Snapshot(
        organisations=await organisations(conn),
        officials=await officials(conn),
        windows=await windows(conn),
        exceptions=await exceptions(conn, since),
        meetings=await active_meetings(conn, since),
    )


async def insert_meeting(conn: Any, meeting: Meeting, lang: str, share_guide: bool, now: datetime) -> None:
    stamp = _iso(now)
    await conn.execute(
        "INSERT INTO meetings(id, ref, founder_address, start_utc, end_utc, place, topics, municipality, idea, lang,"
        " state, sequence, share_guide, scheduled_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            meeting.id, meeting.ref, meeting.founder_address, _iso(meeting.start), _iso(meeting.end), meeting.place,
            json.dumps(list(meeting.topics)), meeting.municipality, meeting.idea, lang, str(meeting.state),
            meeting.sequence, int(share_guide), stamp, stamp, stamp,
        ),
    )
    for official_id in meeting.official_ids:
        await conn.execute(
            "INSERT INTO participants(meeting_id, official_id, state, updated_at) VALUES (?, ?, 'invited', ?)",
            (meeting.id, official_id, stamp),
        )
    await record_version(conn, meeting, now)


async def record_version(conn: Any, meeting: Meeting, now: datetime) -> None:
    """Keep `meeting` as its version `meeting.sequence` (what messages sent now show)."""
    await conn.execute(
        "INSERT OR REPLACE INTO meeting_versions(meeting_id, sequence, start_utc, end_utc, state, official_ids, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (meeting.id, meeting.sequence, _iso(meeting.start), _iso(meeting.end), str(meeting.state),
         json.dumps(list(meeting.official_ids)), _iso(now)),
    )


async def meeting_version(conn: Any, meeting_id: str, sequence: int) -> MeetingVersion | None:
    row = await _one(conn, "SELECT * FROM meeting_versions WHERE meeting_id = ? AND sequence = ?", (meeting_id, sequence))
    if row is None:
        return None
    return MeetingVersion(row["sequence"], _dt(row["start_utc"]), _dt(row["end_utc"]), row["state"],
                          tuple(json.loads(row["official_ids"])))


async def set_participant(conn: Any, meeting_id: str, official_id: str, state: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO participants(meeting_id, official_id, state, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(meeting_id, official_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        (meeting_id, official_id, state, _iso(now)),
    )


async def update_meeting(conn: Any, meeting_id: str, now: datetime, **fields: Any) -> None:
    columns = {"start": "start_utc", "end": "end_utc"}
    sets, params = [], []
    for name, value in fields.items():
        if isinstance(value, datetime):
            value = _iso(value)
        sets.append(f"{columns.get(name, name)} = ?")
        params.append(value)
    sets.append("updated_at = ?")
    params.append(_iso(now))
    await conn.execute(f"UPDATE meetings SET {', '.join(sets)} WHERE id = ?", (*params, meeting_id))
