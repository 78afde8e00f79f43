"""Reminders 24 h and 1 h before each meeting, and a 07:30 digest of the day for each official.

What is due is a pure function of the meetings and the clock (`due_reminders`, `due_digests`).
`ReminderService.run_due(now)` sends what is due exactly once: each send is first claimed in
`reminders_sent` ('sending'), then marked 'sent'. A claim left 'sending' by a crash is sent again on
start-up if the meeting has not begun (a crash between the channel's send and the mark can repeat
that one message; nothing is ever lost). APScheduler (3.x, asyncio) only decides *when* run_due is
called: one job per future due time, derived from the database at start and after every change,
plus a safety sweep; run_due itself decides what to send, so stale jobs are harmless.

Policy: a reminder is owed only when the meeting's time was set before the reminder's due time
(booking 3 hours ahead gets no "24 hours" reminder). One that came due while the process was down
is sent late if the meeting has not started; when a later reminder is already due, only that one
goes out. A cancelled or moved meeting gets nothing for its old time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Awaitable, Callable, Iterable
from zoneinfo import ZoneInfo

from .model import Meeting, utc

log = logging.getLogger(__name__)

KINDS: tuple[tuple[str, timedelta], ...] = (("h24", timedelta(hours=24)), ("h1", timedelta(hours=1)))
DIGEST_TIME = time(7, 30)
SWEEP_MINUTES = 10


@dataclass(frozen=True)
class Recipient:
    address: str
    lang: str
    official_id: str | None = None  # None: the founder


@dataclass(frozen=True)
class Due:
    meeting: Meeting
    recipient: Recipient
    kind: str
    due: datetime


@dataclass(frozen=True)
class Digest:
    recipient: Recipient
    day: date
    due: datetime
    meetings: tuple[Meeting, ...]


def due_reminders(
    meetings: Iterable[tuple[Meeting, datetime, list[Recipient]]], now: datetime
) -> list[Due]:
    """Reminders due at `now`: (meeting, scheduled_at, recipients) in, before any sent-log check."""
    now = utc(now)
    found: list[Due] = []
    for meeting, scheduled_at, recipients in meetings:
        if not meeting.active or meeting.start <= now:
            continue
        owed = [(kind, meeting.start - before) for kind, before in KINDS if utc(scheduled_at) < meeting.start - before]
        ready = [(kind, at) for kind, at in owed if at <= now]
        if not ready:
            continue
        kind, at = max(ready, key=lambda item: item[1])  # only the latest one that is due
        found += [Due(meeting, r, kind, at) for r in recipients]
    return found


def due_times(meetings: Iterable[tuple[Meeting, datetime, list[Recipient]]], now: datetime) -> list[datetime]:
    """Future instants at which some reminder becomes due (for the scheduler's jobs)."""
    now = utc(now)
    times = {
        meeting.start - before
        for meeting, scheduled_at, _ in meetings
        if meeting.active
        for _, before in KINDS
        if now < meeting.start - before and utc(scheduled_at) < meeting.start - before
    }
    return sorted(times)


def digest_instant(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, DIGEST_TIME, tz).astimezone(timezone.utc)


def due_digests(
    meetings: Iterable[tuple[Meeting, datetime, list[Recipient]]], now: datetime, tz: ZoneInfo
) -> list[Digest]:
    """Digests due at `now`: each official with meetings today gets one after 07:30 local time,
    late if the process was down, but not once their last meeting of the day has begun."""
    now = utc(now)
    today = now.astimezone(tz).date()
    at = digest_instant(today, tz)
    if now < at:
        return []
    per_official: dict[str, tuple[Recipient, list[Meeting]]] = {}
    for meeting, _, recipients in meetings:
        if not meeting.active or meeting.start.astimezone(tz).date() != today:
            continue
        for r in recipients:
            if r.official_id is not None:
                per_official.setdefault(r.address, (r, []))[1].append(meeting)
    return [
        Digest(r, today, at, tuple(sorted(ms, key=lambda m: m.start)))
        for r, ms in per_official.values()
        if max(m.start for m in ms) > now
    ]


Sender = Callable[[Due], Awaitable[bool]]
DigestSender = Callable[[Digest], Awaitable[bool]]


class ReminderService:
    """Sends due reminders and digests; `start()`/`stop()` run it under APScheduler."""

    def __init__(self, db: Any, clock: Any, tz: ZoneInfo, send: Sender, send_digest: DigestSender) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz
        self.send = send
        self.send_digest = send_digest
        self._lock = asyncio.Lock()
        self._scheduler: Any = None

    async def _upcoming(self, now: datetime, until: datetime) -> list[tuple[Meeting, datetime, list[Recipient]]]:
        from . import repository as repo

        async with self.db.read() as conn:
            meetings = await repo.meetings_between(conn, now - timedelta(hours=24), until)
            officials = {o.id: o for o in await repo.officials(conn)}
            out = []
            for m in meetings:
                extra = await repo.meeting_extra(conn, m.id)
                recipients = [Recipient(m.founder_address, extra.get("lang", "sv"))]
                recipients += [
                    Recipient(officials[i].address, officials[i].lang, i)  # type: ignore[arg-type]
                    for i in m.official_ids
                    if i in officials and officials[i].address
                ]
                out.append((m, datetime.fromisoformat(extra["scheduled_at"]), recipients))
        return out

    async def run_due(self, now: datetime | None = None) -> int:
        """Send every reminder and digest due at `now` that was not sent before. Returns how many."""
        async with self._lock:
            now = utc(now or self.clock.now())
            upcoming = await self._upcoming(now, now + timedelta(hours=25))
            count = 0
            for item in due_reminders(upcoming, now):
                if await self._claim(item.meeting.id, item.recipient.address, item.kind, item.due, now):
                    count += await self._deliver(item.meeting.id, item.recipient.address, item.kind, item.due,
                                                 self.send(item))
            for digest in due_digests(upcoming, now, self.tz):
                if await self._claim("", digest.recipient.address, "digest", digest.due, now):
                    count += await self._deliver("", digest.recipient.address, "digest", digest.due,
                                                 self.send_digest(digest))
            return count

    async def recover(self, now: datetime | None = None) -> int:
        """Re-send what a crash left claimed but unmarked, if its meeting has not begun."""
        now = utc(now or self.clock.now())
        rows = await self.db.fetchall(
            "SELECT meeting_id, recipient, kind, due_utc FROM reminders_sent WHERE state = 'sending'"
        )
        if not rows:
            return 0
        upcoming = await self._upcoming(now, now + timedelta(days=2))
        by_key = {}
        for meeting, _, recipients in upcoming:
            for r in recipients:
                by_key[(meeting.id, r.address)] = (meeting, r)
        digests = {(d.recipient.address, d.due.isoformat()): d for d in due_digests(upcoming, now, self.tz)}
        count = 0
        for row in rows:
            key = (row["meeting_id"], row["recipient"], row["kind"], datetime.fromisoformat(row["due_utc"]))
            if row["kind"] == "digest":
                digest = digests.get((row["recipient"], row["due_utc"]))
                if digest is not None:
                    count += await self._deliver(*key, self.send_digest(digest))
                    continue
            else:
                found = by_key.get((row["meeting_id"], row["recipient"]))
                if found and found[0].start > now and found[0].active:
                    count += await self._deliver(*key, self.send(Due(found[0], found[1], row["kind"], key[3])))
                    continue
            await self._mark(*key, state="skipped")
        return count

    async def _claim(self, meeting_id: str, recipient: str, kind: str, due: datetime, now: datetime) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO reminders_sent(meeting_id, recipient, kind, due_utc, state, sent_at)"
                " VALUES (?, ?, ?, ?, 'sending', ?)",
                (meeting_id, recipient, kind, utc(due).isoformat(), now.isoformat()),
            )
            return cur.rowcount == 1

    async def _deliver(self, meeting_id: str, recipient: str, kind: str, due: datetime, sending: Awaitable[bool]) -> int:
        try:
            ok = await sending
        except Exception:
            log.exception("sending a %s reminder failed", kind)
            ok = False
        await self._mark(meeting_id, recipient, kind, due, state="sent" if ok else "failed")
        return int(ok)

    async def _mark(self, meeting_id: str, recipient: str, kind: str, due: datetime, state: str) -> None:
        await self.db.execute(
            "UPDATE reminders_sent SET state = ? WHERE meeting_id = ? AND recipient = ? AND kind = ? AND due_utc = ?",
            (state, meeting_id, recipient, kind, utc(due).isoformat()),
        )

    # --- scheduling -----------------------------------------------------------------------

    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        await self.recover()
        await self.run_due()
        self._scheduler = AsyncIOScheduler(timezone=self.tz, job_defaults={"coalesce": True, "misfire_grace_time": None})
        self._scheduler.add_job(self.run_due, CronTrigger(hour=DIGEST_TIME.hour, minute=DIGEST_TIME.minute, timezone=self.tz),
                                id="digest", replace_existing=True)
        self._scheduler.add_job(self.run_due, IntervalTrigger(minutes=SWEEP_MINUTES), id="sweep", replace_existing=True)
        self._scheduler.start()
        await self.sync_jobs()

    def changed(self) -> None:
        """Called after bookings change: re-derive the due-time jobs (no-op when not started)."""
        if self._scheduler is not None:
            asyncio.get_running_loop().create_task(self.sync_jobs())

    async def sync_jobs(self) -> None:
        from apscheduler.triggers.date import DateTrigger

        if self._scheduler is None:
            return
        now = utc(self.clock.now())
        wanted = {f"due:{at.isoformat()}": at for at in due_times(await self._upcoming(now, now + timedelta(days=30)), now)}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("due:") and job.id not in wanted:
                job.remove()
        for job_id, at in wanted.items():
            if self._scheduler.get_job(job_id) is None:
                self._scheduler.add_job(self.run_due, DateTrigger(run_date=at), id=job_id)

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs()) if self._scheduler else []

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None


