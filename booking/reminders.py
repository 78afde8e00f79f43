"""Reminders 24 h and 1 h before each meeting, and a 07:30 digest of the day for each official.

What is due is a pure function of the meetings and the clock (`due_reminders`, `due_digests`).
`ReminderService.run_due(now)` sends what is due until it is delivered: each send is first claimed in
`reminders_sent` ('sending'), in one write transaction that reads its meeting again (so a meeting cancelled,
moved or erased since run_due began gets nothing), then marked 'sent'. A send that fails (the channel raised or said no,
no channel has that address's route yet, the user is unreachable) is marked 'failed' and tried again
after 1, 2, 4, 8, 10, 10 and 10 minutes (`retry_delay`), each time only if the reminder is still owed
then; after MAX_ATTEMPTS sends, or when the meeting has begun, it is 'given_up': an error in the log,
and the coordinators' report counts it. A claim left 'sending' by a crash is tried again at start-up
(so a crash between the channel's send and the mark can repeat exactly that one message).

The scheduler (the app's one APScheduler, `bot/scheduler.py`) only decides *when* run_due is called:
one job per future due time and retry time, derived from the database at start and after every
change, plus a sweep every SWEEP_MINUTES; run_due itself decides what to send, so stale jobs are harmless.

Policy: a reminder is owed only when the meeting's time was set before the reminder's due time
(booking 3 hours ahead gets no "24 hours" reminder). One that came due while the process was down
is sent late if the meeting has not started; when a later reminder is already due, only that one
goes out. A cancelled or moved meeting gets nothing for its old time, neither first nor on a retry
('skipped').
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from typing import Any, Awaitable, Callable, Iterable, NamedTuple
from zoneinfo import ZoneInfo

from .model import Meeting, utc

log = logging.getLogger(__name__)

KINDS: tuple[tuple[str, timedelta], ...] = (("h24", timedelta(hours=24)), ("h1", timedelta(hours=1)))
BEFORE = dict(KINDS)
DIGEST = "digest"
DIGEST_TIME = time(7, 30)
SWEEP_MINUTES = 10
MAX_ATTEMPTS = 8  # sends of one reminder before it is given up
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=10)  # so all attempts fit in the 1-hour reminder's hour


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th send failed: 1, 2, 4, 8, 10, 10, 10 minutes, so the eight attempts
    span 45 minutes."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


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


class Key(NamedTuple):
    """One row of `reminders_sent`: a reminder (or an official's digest, meeting_id '') to one address, for one
    due time. A moved meeting's reminders have new due times, so its old keys are never owed again."""

    meeting_id: str
    recipient: str
    kind: str
    due: datetime

    @property
    def params(self) -> tuple[str, str, str, str]:
        return (self.meeting_id, self.recipient, self.kind, utc(self.due).isoformat())

    @classmethod
    def of(cls, row: Any) -> "Key":
        return cls(row["meeting_id"], row["recipient"], row["kind"], datetime.fromisoformat(row["due_utc"]))


Sender = Callable[[Due], Awaitable[bool]]
DigestSender = Callable[[Digest], Awaitable[bool]]
Upcoming = list[tuple[Meeting, datetime, list[Recipient]]]

_KEY = "meeting_id = ? AND recipient = ? AND kind = ? AND due_utc = ?"
JOB_PREFIX = "reminders:"
DUE_JOB = JOB_PREFIX + "due:"


class ReminderService:
    """Sends due reminders and digests until they are delivered; `start()` catches up and adds its jobs to the
    app's scheduler (any object with `add_job(id, work, trigger)`, `remove_job(id)`, `job_ids(prefix)` and
    `spawn(awaitable, what)`, see bot/scheduler.py)."""

    def __init__(self, db: Any, clock: Any, tz: ZoneInfo, send: Sender, send_digest: DigestSender,
                 scheduler: Any = None) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz
        self.send = send
        self.send_digest = send_digest
        self.scheduler = scheduler  # None: nothing is scheduled, run_due is called by hand
        # Which recipients this process sends to (None: all). `dukat-bord chat` reaches only console addresses
        # and leaves Telegram and Matrix reminders, untouched, to `dukat-bord run`.
        self.reaches: Callable[[str], bool] | None = None
        self._lock = asyncio.Lock()
        self._started = False
        self._resync = False
        self._sync_task: Any = None

    async def _upcoming(self, now: datetime, until: datetime, since: datetime | None = None) -> Upcoming:
        """Meetings starting from `since` (default a day before `now`) until `until`, each with when its time was
        set and who is reminded (the founder and every attending official with an address)."""
        async with self.db.read() as conn:
            return await _meetings_to_remind(conn, since or now - timedelta(hours=24), until)

    def _owed(self, upcoming: Upcoming, now: datetime) -> dict[Key, Callable[[], Awaitable[bool]]]:
        """Everything owed at `now`, each with the call that sends it."""
        owed: dict[Key, Callable[[], Awaitable[bool]]] = {}
        for item in due_reminders(upcoming, now):
            owed[Key(item.meeting.id, item.recipient.address, item.kind, item.due)] = partial(self.send, item)
        for digest in due_digests(upcoming, now, self.tz):
            owed[Key("", digest.recipient.address, DIGEST, digest.due)] = partial(self.send_digest, digest)
        if self.reaches is not None:
            owed = {key: send for key, send in owed.items() if self.reaches(key.recipient)}
        return owed

    async def run_due(self, now: datetime | None = None) -> int:
        """Send what is owed at `now` and not delivered yet: failed sends whose retry time has come, then new ones.
        Each is checked again against the database as it is claimed (`_take`), so a meeting cancelled, moved or
        erased meanwhile gets nothing. Returns how many were delivered."""
        async with self._lock:
            now = utc(now or self.clock.now())
            # What the sent log says of everything that can be owed now (due in the last 25 hours) and every failed
            # send: only retries whose time has come and sends never tried (or skipped) are worth a claim.
            log_rows = {Key.of(r): r for r in await self.db.fetchall(
                "SELECT meeting_id, recipient, kind, due_utc, state, next_try_utc FROM reminders_sent"
                " WHERE state = 'failed' OR due_utc >= ?", ((now - timedelta(hours=25)).isoformat(),))}
            retries = sorted((key for key, r in log_rows.items()
                              if r["state"] == "failed" and datetime.fromisoformat(r["next_try_utc"]) <= now
                              and (self.reaches is None or self.reaches(key.recipient))),
                             key=lambda key: key.due)
            owed = self._owed(await self._upcoming(now, now + timedelta(hours=25)), now)
            new = sorted((key for key in owed if key not in log_rows or log_rows[key]["state"] == "skipped"),
                         key=lambda key: key.due)
            delivered = 0
            for key in [*retries, *new]:
                taken = await self._take(key, now)
                if taken is not None:
                    delivered += await self._deliver(key, *taken)
            return delivered

    async def _take(self, key: Key, now: datetime) -> tuple[int, Callable[[], Awaitable[bool]]] | None:
        """In one write transaction: read what `key` reminds of as it is now and, if it is still owed, claim it
        (a new send, or a failed one whose retry time has come); returns the attempt's number and the call that
        sends it. A failed send no longer owed is settled instead: 'skipped' when its meeting was cancelled,
        moved or erased, its official replaced or a later reminder is due, 'given_up' when the meeting began."""
        async with self.db.transaction() as conn:
            meetings = await _meetings_to_remind(conn, *_window(key, self.tz))
            send = self._owed(meetings, now).get(key)
            async with conn.execute(f"SELECT state, attempts, next_try_utc FROM reminders_sent WHERE {_KEY}",
                                    key.params) as cur:
                row = await cur.fetchone()
            if row is None or row["state"] == "skipped":  # never tried, or owed again (moved back to this time)
                if send is None:
                    return None
                await conn.execute(
                    "INSERT INTO reminders_sent(meeting_id, recipient, kind, due_utc, state, sent_at, attempts)"
                    " VALUES (?, ?, ?, ?, 'sending', ?, 1) ON CONFLICT(meeting_id, recipient, kind, due_utc) DO UPDATE"
                    " SET state = 'sending', sent_at = excluded.sent_at, attempts = 1, next_try_utc = NULL",
                    (*key.params, now.isoformat()))
                return 1, send
            if row["state"] != "failed" or datetime.fromisoformat(row["next_try_utc"]) > now:
                return None  # delivered, given up, being sent, or not yet time to retry
            if send is None:
                state = "given_up" if _missed(key, meetings, now, self.tz) else "skipped"
                await conn.execute(f"UPDATE reminders_sent SET state = ? WHERE {_KEY}", (state, *key.params))
                if state == "given_up":
                    _log_given_up(key, row["attempts"])
                return None
            await conn.execute(f"UPDATE reminders_sent SET state = 'sending', attempts = attempts + 1, sent_at = ?"
                               f" WHERE {_KEY}", (now.isoformat(), *key.params))
            return row["attempts"] + 1, send

    async def recover(self, now: datetime | None = None) -> int:
        """Claims a crash left 'sending' (the send may or may not have arrived) are due for a retry now; the next
        run_due sends each again if it is still owed. Call before the first run_due. Returns how many."""
        now = utc(now or self.clock.now())
        async with self._lock:
            rows = await self.db.fetchall("SELECT recipient FROM reminders_sent WHERE state = 'sending'")
            mine = sorted({r["recipient"] for r in rows if self.reaches is None or self.reaches(r["recipient"])})
            count = 0
            for recipient in mine:  # another process's claims (another channel's addresses) are its own
                count += await self.db.execute(
                    "UPDATE reminders_sent SET state = 'failed', next_try_utc = ? WHERE state = 'sending' AND recipient = ?",
                    (now.isoformat(), recipient))
            return count

    async def _deliver(self, key: Key, attempt: int, send: Callable[[], Awaitable[bool]]) -> int:
        """Send; mark it 'sent', or 'failed' with the time of the next try, or 'given_up' after MAX_ATTEMPTS."""
        try:
            ok = await send()
        except Exception:
            log.exception("sending a %s reminder failed", key.kind)
            ok = False
        if ok:
            await self._mark(key, "sent")
            return 1
        if attempt >= MAX_ATTEMPTS:
            await self._give_up(key, attempt)
            return 0
        retry_at = utc(self.clock.now()) + retry_delay(attempt)
        await self.db.execute(f"UPDATE reminders_sent SET state = 'failed', next_try_utc = ? WHERE {_KEY}",
                              (retry_at.isoformat(), *key.params))
        log.warning("a %s reminder to a %s address was not delivered (attempt %d of %d); next try at %s",
                    key.kind, _channel(key), attempt, MAX_ATTEMPTS, retry_at.isoformat(timespec="seconds"))
        self._wake_at(retry_at)
        return 0

    async def _give_up(self, key: Key, attempts: int) -> None:
        await self._mark(key, "given_up")
        _log_given_up(key, attempts)

    async def _mark(self, key: Key, state: str) -> None:
        await self.db.execute(f"UPDATE reminders_sent SET state = ? WHERE {_KEY}", (state, *key.params))

    # --- scheduling -----------------------------------------------------------------------

    async def start(self) -> None:
        """Catch up (claims a crash left, what came due while the process was down), then add the jobs."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        await self.recover()
        await self.run_due()
        if self.scheduler is None:
            return
        self.scheduler.add_job(f"{JOB_PREFIX}digest", self.run_due,
                               CronTrigger(hour=DIGEST_TIME.hour, minute=DIGEST_TIME.minute, timezone=self.tz))
        self.scheduler.add_job(f"{JOB_PREFIX}sweep", self.run_due, IntervalTrigger(minutes=SWEEP_MINUTES))
        self._started = True
        await self.sync_jobs()

    def changed(self) -> None:
        """Called after bookings change: re-derive the due-time jobs in the background (no-op before start).
        Changes that come while that runs are folded into one more pass."""
        if not self._started:
            return
        self._resync = True
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = self.scheduler.spawn(self._sync_while_changed(), "re-deriving the reminder times")

    async def _sync_while_changed(self) -> None:
        while self._resync:
            self._resync = False
            await self.sync_jobs()

    async def sync_jobs(self) -> None:
        """One job per future due time of the next 30 days and per retry time; jobs for times no longer due go."""
        from apscheduler.triggers.date import DateTrigger

        if not self._started:
            return
        now = utc(self.clock.now())
        times = due_times(await self._upcoming(now, now + timedelta(days=30)), now)
        times += [datetime.fromisoformat(r["next_try_utc"]) for r in await self.db.fetchall(
            "SELECT DISTINCT next_try_utc FROM reminders_sent WHERE state = 'failed'")]
        wanted = {f"{DUE_JOB}{utc(at).isoformat()}": at for at in times}
        existing = set(self.scheduler.job_ids(DUE_JOB))
        for job_id in existing - set(wanted):
            self.scheduler.remove_job(job_id)
        for job_id, at in wanted.items():
            if job_id not in existing:
                self.scheduler.add_job(job_id, self.run_due, DateTrigger(run_date=at))

    def _wake_at(self, at: datetime) -> None:
        from apscheduler.triggers.date import DateTrigger

        if self._started:
            self.scheduler.add_job(f"{DUE_JOB}{utc(at).isoformat()}", self.run_due, DateTrigger(run_date=at))

    async def stop(self) -> None:
        """No more jobs are added; the scheduler (stopped first) drops those it has."""
        self._started = False


async def _meetings_to_remind(conn: Any, since: datetime, until: datetime) -> Upcoming:
    """Meetings starting from `since` until `until`, each with when its time was set and who is reminded (the
    founder and every attending official, at each address they are told at)."""
    from . import repository as repo

    meetings = await repo.meetings_between(conn, since, until)
    officials = {o.id: o for o in await repo.officials(conn)}
    # The same rows' language and scheduling time in one query (not one per meeting: this runs every sweep).
    async with conn.execute("SELECT id, lang, scheduled_at FROM meetings WHERE start_utc >= ? AND start_utc < ?",
                            (utc(since).isoformat(), utc(until).isoformat())) as cur:
        extras = {row["id"]: row for row in await cur.fetchall()}
    out = []
    for m in meetings:
        extra = extras[m.id]
        recipients = [Recipient(m.founder_address, extra["lang"] or "sv")]
        recipients += [
            Recipient(address, officials[i].lang, i)
            for i in m.official_ids if i in officials
            for address in officials[i].destinations  # chat address, "mail:<e-mail>" or both
        ]
        out.append((m, datetime.fromisoformat(extra["scheduled_at"]), recipients))
    return out


def _window(key: Key, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start times of the meetings `key` can be about: its meeting's (due + 24 h or 1 h), or the digest's day."""
    if key.kind == DIGEST:
        day = datetime.combine(key.due.astimezone(tz).date(), time(0), tz)
        return day, datetime.combine(day.date() + timedelta(days=1), time(0), tz)
    start = key.due + BEFORE[key.kind]
    return start, start + timedelta(seconds=1)


def _log_given_up(key: Key, attempts: int) -> None:
    log.error("a %s reminder to a %s address could not be delivered after %d attempt(s); given up",
              key.kind, _channel(key), attempts)


def _channel(key: Key) -> str:
    """The address's channel prefix: logs never name the recipient."""
    return key.recipient.split(":", 1)[0]


def _missed(key: Key, upcoming: Upcoming, now: datetime, tz: ZoneInfo) -> bool:
    """Whether a send that is no longer owed was missed (its meeting still stands as it was, with this recipient,
    and has begun: the reminder came too late) rather than overtaken (the meeting was cancelled or moved, the
    recipient no longer attends, or a later reminder is due instead)."""
    for meeting, _, recipients in upcoming:
        if not meeting.active or key.recipient not in {r.address for r in recipients}:
            continue
        if key.kind == DIGEST:
            official = any(r.address == key.recipient and r.official_id for r in recipients)
            if official and meeting.start.astimezone(tz).date() == key.due.astimezone(tz).date():
                return True
        elif meeting.id == key.meeting_id and meeting.start - BEFORE[key.kind] == key.due:
            return meeting.start <= now
    return False
