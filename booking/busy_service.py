"""Officials' busy times: refreshed from their own calendars, kept in the database, used by the slot finder.

`refresh()` reads the calendars named in the credentials file (booking/calendar_sources.py) for the booking
horizon and replaces each official's stored busy intervals (`calendar_busy`) on a successful read; a read
that fails leaves the last known intervals in force and records the failure (`calendar_reads`), logged
without the address. `current(conn)` gives the slot finder the stored intervals, kept in memory and read
again only when a refresh changed them. `conflicts()` finds booked meetings whose time has become busy in
an attending official's calendar and returns a notice for each, once per meeting version.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Iterable, Mapping

from . import repository as repo
from .busy import BusyMap, BusyTimes, Interval, as_utc
from .calendar_read import DEFAULT_TIMEOUT, CalendarReadError, read_busy
from .calendar_sources import CalendarSource, CalendarSourcesError
from .model import utc
from .rules import BookingRules

log = logging.getLogger(__name__)

REFRESH_MINUTES = 15  # how often the scheduler reads every calendar again
CONFIRM_TIMEOUT = 8.0  # seconds the refresh just before a booking may take per calendar
PARALLEL_READS = 8
SOURCES_FILE_FAILURE = "credentials file refused"

SourcesLoader = Callable[[], Mapping[str, CalendarSource]]
Reader = Callable[..., Awaitable[list[Interval]]]


@dataclass(frozen=True)
class CalendarStatus:
    official_id: str
    read_at: datetime | None  # last successful read
    failed_at: datetime | None  # last failed read
    failure: str | None  # why it failed (no address, no password)

    @property
    def failing(self) -> bool:
        """Whether the latest read failed (the last known busy times are in force)."""
        return self.failed_at is not None and (self.read_at is None or self.failed_at > self.read_at)


class BusyService:
    def __init__(self, db: Any, clock: Any, rules: BookingRules, sources: SourcesLoader,
                 read: Reader = read_busy, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.sources = sources
        self.read = read
        self.timeout = timeout
        self._cache: BusyMap = {}
        self._signature: tuple[int, int] | None = None

    # --- reading what is stored -------------------------------------------------------------------

    async def current(self, conn: Any) -> BusyMap:
        """The stored busy times per official (inside the caller's read or transaction)."""
        async with conn.execute("SELECT COUNT(*), COALESCE(MAX(revision), 0) FROM calendar_reads") as cur:
            row = await cur.fetchone()
        signature = (row[0], row[1])
        if signature != self._signature:
            per_official: dict[str, list[Interval]] = {}
            async with conn.execute("SELECT official_id, start_utc, end_utc FROM calendar_busy") as cur:
                for r in await cur.fetchall():
                    per_official.setdefault(r[0], []).append(
                        (int(datetime.fromisoformat(r[1]).timestamp()), int(datetime.fromisoformat(r[2]).timestamp())))
            self._cache = {oid: BusyTimes.of(spans) for oid, spans in per_official.items()}
            self._signature = signature
        return self._cache

    async def statuses(self) -> dict[str, CalendarStatus]:
        async with self.db.read() as conn:
            return await calendar_statuses(conn)

    # --- refreshing -------------------------------------------------------------------------------

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The span read from each calendar: from a day ago to a day past the booking horizon."""
        now = utc(now)
        return now - timedelta(days=1), now + self.rules.horizon + timedelta(days=1)

    async def refresh(self, official_ids: Iterable[str] | None = None,
                      timeout: float | None = None) -> dict[str, str | None]:
        """Read the calendars of `official_ids` (None: every official with a source) and store what was read.
        Returns, per official read, None for success or the reason it failed."""
        now = self.clock.now()
        try:
            sources = dict(self.sources())
        except CalendarSourcesError as exc:
            log.error("the calendars file cannot be used (%s); the last known busy times stay in force", exc.code)
            await self._all_failed(now)
            return {}
        wanted = set(official_ids) if official_ids is not None else None
        if wanted is not None and not wanted & sources.keys():
            return {}
        async with self.db.read() as conn:
            known = {o.id for o in await repo.officials(conn)}
        for unknown in sorted(set(sources) - known):
            log.warning("the calendars file names %s, who is not an official here; skipped", unknown)
        chosen = [s for oid, s in sorted(sources.items()) if oid in known and (wanted is None or oid in wanted)]
        start, end = self.window(now)
        limit = asyncio.Semaphore(PARALLEL_READS)

        async def one(source: CalendarSource) -> tuple[str, list[Interval] | None, str | None]:
            async with limit:
                try:
                    spans = await self.read(source, start, end, self.rules.tz, timeout=timeout or self.timeout)
                    return source.official_id, spans, None
                except CalendarReadError as exc:
                    return source.official_id, None, exc.reason
                except Exception as exc:  # unexpected: never the message (it may quote the URL)
                    return source.official_id, None, type(exc).__name__

        results = await asyncio.gather(*(one(s) for s in chosen))
        for oid, _, failure in results:
            if failure is not None:
                log.warning("the calendar of official %s could not be read (%s); the last known busy times stay"
                            " in force", oid, failure)
        async with self.db.transaction() as conn:
            revision = await _next_revision(conn)
            for oid, spans, failure in results:
                if spans is not None:
                    await _store_read(conn, oid, spans, now, revision)
                else:
                    await _store_failure(conn, oid, failure or "?", now)
            if wanted is None:  # officials no longer in the file: their calendar is forgotten
                async with conn.execute("SELECT official_id FROM calendar_reads") as cur:
                    stale = [r[0] for r in await cur.fetchall() if r[0] not in sources]
                for oid in stale:
                    await conn.execute("DELETE FROM calendar_busy WHERE official_id = ?", (oid,))
                    await conn.execute("DELETE FROM calendar_reads WHERE official_id = ?", (oid,))
        return {oid: failure for oid, _, failure in results}

    async def _all_failed(self, now: datetime) -> None:
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT official_id FROM calendar_reads") as cur:
                ids = [r[0] for r in await cur.fetchall()]
            for oid in ids:
                await _store_failure(conn, oid, SOURCES_FILE_FAILURE, now)

    # --- meetings that became busy ----------------------------------------------------------------

    async def conflicts(self) -> list[tuple[Any, str, str]]:
        """Upcoming meetings whose time is busy in an attending official's calendar, not yet asked about at
        this version: (meeting, official id, the official's answer so far). Each is recorded as asked."""
        now = self.clock.now()
        found = []
        async with self.db.transaction() as conn:
            busy = await self.current(conn)
            if not busy:
                return []
            for meeting in await repo.active_meetings(conn, now):
                if meeting.start <= now:
                    continue
                a, b = int(meeting.start.timestamp()), int(meeting.end.timestamp())
                answers = {p.official_id: str(p.state) for p in await repo.participants(conn, meeting.id)}
                for oid in meeting.official_ids:
                    times = busy.get(oid)
                    if times is None or not times.overlaps(a, b):
                        continue
                    cur = await conn.execute(
                        "INSERT OR IGNORE INTO calendar_conflicts(meeting_id, official_id, sequence, asked_at)"
                        " VALUES (?, ?, ?, ?)", (meeting.id, oid, meeting.sequence, utc(now).isoformat()))
                    if cur.rowcount:
                        found.append((meeting, oid, answers.get(oid, "invited")))
        return found


async def _next_revision(conn: Any) -> int:
    async with conn.execute("SELECT COALESCE(MAX(revision), 0) + 1 FROM calendar_reads") as cur:
        return int((await cur.fetchone())[0])


async def _store_read(conn: Any, official_id: str, spans: list[Interval], now: datetime, revision: int) -> None:
    async with conn.execute("SELECT start_utc, end_utc FROM calendar_busy WHERE official_id = ? ORDER BY start_utc",
                            (official_id,)) as cur:
        before = [(r[0], r[1]) for r in await cur.fetchall()]
    after = [(as_utc(a).isoformat(), as_utc(b).isoformat()) for a, b in spans]
    changed = before != after
    if changed:
        await conn.execute("DELETE FROM calendar_busy WHERE official_id = ?", (official_id,))
        await conn.executemany("INSERT INTO calendar_busy(official_id, start_utc, end_utc) VALUES (?, ?, ?)",
                               [(official_id, a, b) for a, b in after])
    await conn.execute(
        "INSERT INTO calendar_reads(official_id, read_at, revision) VALUES (?, ?, ?) ON CONFLICT(official_id)"
        " DO UPDATE SET read_at = excluded.read_at,"
        " revision = CASE WHEN ? THEN excluded.revision ELSE calendar_reads.revision END",
        (official_id, utc(now).isoformat(), revision, int(changed)))


async def _store_failure(conn: Any, official_id: str, failure: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO calendar_reads(official_id, failed_at, failure) VALUES (?, ?, ?) ON CONFLICT(official_id)"
        " DO UPDATE SET failed_at = excluded.failed_at, failure = excluded.failure",
        (official_id, utc(now).isoformat(), failure))


async def calendar_statuses(conn: Any) -> dict[str, CalendarStatus]:
    async with conn.execute("SELECT official_id, read_at, failed_at, failure FROM calendar_reads") as cur:
        rows = await cur.fetchall()
    return {
        r[0]: CalendarStatus(r[0], datetime.fromisoformat(r[1]) if r[1] else None,
                             datetime.fromisoformat(r[2]) if r[2] else None, r[3])
        for r in rows
    }


async def failing_calendars(db: Any) -> int:
    """How many officials' calendars could not be read at the latest attempt."""
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM calendar_reads"
        " WHERE failed_at IS NOT NULL AND (read_at IS NULL OR failed_at > read_at)")
    return int(row["n"]) if row else 0
