"""Booking benchmark: slot search latency on generated data.

    python bench/booking.py

Slot search: 100 officials in 6 organisations, two weekday windows each, a few absences, and 1,000
existing meetings spread over the 14-day horizon (2-3 officials each, no official double-booked),
all generated from a fixed seed. Each query is one `find_slots` call (limit 5) from the plain data,
so the figure includes building the availability index; queries vary "now" over two weeks, the
founder's topics (1-3) and the municipality. Timed with time.perf_counter.

Calendar busy times: the same search when each of the 100 officials also has their own calendar of 200
events (20 weekly series and 180 single events over eight weeks around "now", in Stockholm time), read from
iCalendar as the app reads a published calendar and held in memory as the app holds them (booking/busy.py).

Sections are plain functions taking the generated data and returning printable rows; `main()`
runs them in order. A further section (e.g. contention through the booking service) is added as
another function and listed in `SECTIONS`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from booking.model import (  # noqa: E402
    AvailabilityException,
    Meeting,
    MeetingState,
    Official,
    Organisation,
    WeeklyWindow,
)
from booking.busy import BusyTimes, busy_from_ics  # noqa: E402
from booking.rules import BookingRules  # noqa: E402
from booking.slots import find_slots  # noqa: E402

SEED = 20261116
# A Monday morning in Stockholm; the horizon then includes the end of October (DST change).
START = datetime(2026, 10, 19, 7, 0, tzinfo=timezone.utc)
TOPICS = ("asf", "foretagsform", "starta", "radgivning", "anstallningsstod", "rehabilitering",
          "kommun", "upphandling", "finansiering", "natverk", "lokaler")
ORGANISATIONS = (
    ("kommun", "Kommunen", "kommun"),
    ("af", "Arbetsförmedlingen", "arbetsformedlingen"),
    ("coompanion", "Coompanion", "coompanion"),
    ("fk", "Försäkringskassan", "forsakringskassan"),
    ("samordning", "Samordningsförbundet", "samordningsforbund"),
    ("region", "Regionen", "region"),
)
MUNICIPALITIES = ("Botkyrka", "Huddinge", "Stockholm", "Södertälje", "Uppsala")


@dataclass(frozen=True)
class BenchData:
    organisations: list[Organisation]
    officials: list[Official]
    windows: list[WeeklyWindow]
    exceptions: list[AvailabilityException]
    meetings: list[Meeting]
    rules: BookingRules
    start: datetime


def generate_data(
    seed: int = SEED, officials: int = 100, meetings: int = 1000, start: datetime = START
) -> BenchData:
    """Deterministic officials, availability and meetings over the horizon after `start`."""
    rng = random.Random(seed)
    rules = BookingRules()
    tz = rules.tz
    orgs = [Organisation(i, n, a) for i, n, a in ORGANISATIONS]
    people: list[Official] = []
    windows: list[WeeklyWindow] = []
    exceptions: list[AvailabilityException] = []
    for n in range(officials):
        org = orgs[n % len(orgs)]
        served = frozenset(rng.sample(MUNICIPALITIES, rng.randint(1, 2))) if rng.random() < 0.4 else frozenset()
        people.append(
            Official(
                id=f"o{n:03d}",
                name=f"Demo Handläggare {n}",
                organisation_id=org.id,
                topics=frozenset(rng.sample(TOPICS, rng.randint(1, 4))),
                municipalities=served,
                address=f"console:o{n:03d}",
            )
        )
        morning = rng.choice((8, 9))
        for weekday in range(5):
            windows.append(WeeklyWindow(f"o{n:03d}", weekday, clock_time(morning), clock_time(12)))
            if rng.random() < 0.8:
                windows.append(WeeklyWindow(f"o{n:03d}", weekday, clock_time(13), clock_time(rng.choice((15, 16, 17)))))
        if rng.random() < 0.2:
            day = (start + timedelta(days=rng.randint(0, 13))).astimezone(tz).date()
            exceptions.append(
                AvailabilityException(
                    f"o{n:03d}",
                    datetime.combine(day, clock_time(0), tz),
                    datetime.combine(day + timedelta(days=rng.randint(1, 3)), clock_time(0), tz),
                    "absence",
                )
            )
        if rng.random() < 0.1:
            day = (start + timedelta(days=rng.randint(0, 13))).astimezone(tz).date()
            exceptions.append(
                AvailabilityException(
                    f"o{n:03d}", datetime.combine(day, clock_time(17), tz), datetime.combine(day, clock_time(19), tz), "extra"
                )
            )
    busy: set[tuple[str, datetime]] = set()
    by_org: dict[str, list[Official]] = {}
    for o in people:
        by_org.setdefault(o.organisation_id, []).append(o)
    made: list[Meeting] = []
    while len(made) < meetings:
        day = (start + timedelta(days=rng.randint(0, 13))).astimezone(tz).date()
        if day.weekday() >= 5:
            continue
        begin = datetime.combine(day, clock_time(rng.randint(9, 15), rng.choice((0, 30))), tz).astimezone(timezone.utc)
        chosen = [rng.choice(by_org[org]) for org in rng.sample(sorted(by_org), rng.randint(2, 3))]
        # One meeting per official per half hour, so the generated calendar is itself plausible.
        if any((o.id, begin) in busy or (o.id, begin - timedelta(minutes=30)) in busy for o in chosen):
            continue
        busy.update((o.id, begin) for o in chosen)
        n = len(made)
        made.append(
            Meeting(
                id=f"m{n:04d}",
                ref=f"R{n:04d}",
                founder_address=f"console:f{n % 400}",
                start=begin,
                end=begin + rules.duration,
                topics=tuple(rng.sample(TOPICS, 2)),
                state=MeetingState.CONFIRMED if n % 3 else MeetingState.PENDING,
                official_ids=tuple(o.id for o in chosen),
            )
        )
    return BenchData(orgs, people, windows, exceptions, made, rules, start)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _search_latency(
    data: BenchData, queries: int, per_day: int | None, limit: int = 5, busy: dict[str, BusyTimes] | None = None
) -> tuple[list[float], list[int]]:
    rng = random.Random(SEED + 1)
    timings: list[float] = []
    found: list[int] = []
    for _ in range(queries):
        now = data.start + timedelta(minutes=rng.randint(0, 14 * 24 * 60 // 2))
        topics = rng.sample(TOPICS, rng.randint(1, 3))
        municipality = rng.choice((None, None) + MUNICIPALITIES)
        began = time.perf_counter()
        slots = find_slots(
            officials=data.officials,
            windows=data.windows,
            exceptions=data.exceptions,
            meetings=data.meetings,
            rules=data.rules,
            now=now,
            topics=topics,
            municipality=municipality,
            limit=limit,
            per_day=per_day,
            busy=busy,
        )
        timings.append((time.perf_counter() - began) * 1000)
        found.append(len(slots))
    return timings, found


def slot_search_section(data: BenchData, queries: int = 500) -> list[str]:
    """find_slots latency over varied queries (now, topics, municipality)."""
    lines = [
        f"slot search: {len(data.officials)} officials, {len(data.meetings)} meetings, "
        f"{data.rules.horizon_days}-day horizon, {queries} queries of 5 slots (target p99 < 50 ms)"
    ]
    for label, per_day in (("earliest first", None), ("one per day   ", 1)):
        timings, found = _search_latency(data, queries, per_day)
        lines.append(
            f"  {label}  p50 {statistics.median(timings):5.1f} ms   p99 {_percentile(timings, 0.99):5.1f} ms   "
            f"max {max(timings):5.1f} ms   ({sum(1 for f in found if f == 5)} queries got 5 slots)"
        )
    # Not a dialogue query: every slot of the horizon, the most work one search can do.
    timings, found = _search_latency(data, queries // 5, None, limit=10_000)
    lines.append(
        f"  whole horizon   p50 {statistics.median(timings):5.1f} ms   p99 {_percentile(timings, 0.99):5.1f} ms   "
        f"max {max(timings):5.1f} ms   (every slot, {statistics.median(found):.0f} per query; informational)"
    )
    return lines


def _calendar_ics(rng: random.Random, start: datetime, events: int = 200, series: int = 20) -> str:
    """An official's own calendar: weekly series and single events on weekdays, 08:00-17:00 local time."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    first_day = start.astimezone(BookingRules().tz).date() - timedelta(days=28)
    for n in range(events):
        day = first_day + timedelta(days=rng.randrange(56))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        begin = datetime.combine(day, clock_time(8)) + timedelta(minutes=15 * rng.randrange(32))
        end = begin + timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))
        lines += ["BEGIN:VEVENT", f"UID:bench-{n}@example.org", "DTSTAMP:20260101T000000Z",
                  f"DTSTART;TZID=Europe/Stockholm:{begin:%Y%m%dT%H%M%S}",
                  f"DTEND;TZID=Europe/Stockholm:{end:%Y%m%dT%H%M%S}"]
        if n < series:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=12")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def calendar_section(data: BenchData, queries: int = 500) -> list[str]:
    """find_slots latency when every official has a calendar of 200 events, their busy times in memory."""
    rng = random.Random(SEED + 2)
    window = (data.start - timedelta(days=1), data.start + timedelta(days=14 + data.rules.horizon_days + 1))
    began = time.perf_counter()
    busy = {o.id: BusyTimes.of(busy_from_ics([_calendar_ics(rng, data.start)], *window, data.rules.tz))
            for o in data.officials}
    parse_ms = (time.perf_counter() - began) * 1000 / len(data.officials)
    intervals = statistics.mean(len(b) for b in busy.values())
    lines = [
        f"slot search with calendars: {len(data.officials)} officials with 200 events each "
        f"(on average {intervals:.0f} busy intervals in the horizon; reading one calendar {parse_ms:.0f} ms), "
        f"{len(data.meetings)} meetings, {queries} queries of 5 slots (target p99 < 50 ms)"
    ]
    for label, per_day in (("earliest first", None), ("one per day   ", 1)):
        timings, found = _search_latency(data, queries, per_day, busy=busy)
        lines.append(
            f"  {label}  p50 {statistics.median(timings):5.1f} ms   p99 {_percentile(timings, 0.99):5.1f} ms   "
            f"max {max(timings):5.1f} ms   ({sum(1 for f in found if f == 5)} queries got 5 slots)"
        )
    return lines


async def _load_database(data: BenchData, path: str) -> None:
    """Write the generated organisations, officials, windows, absences and meetings to a database file."""
    from booking import repository as repo
    from booking.officials_file import OfficialsData, apply
    from bot.app import all_migrations
    from bot.db import Database

    db = await Database.open(path, all_migrations())
    async with db.transaction() as conn:
        await apply(conn, OfficialsData([(o, None) for o in data.organisations], data.officials, data.windows))
        for e in data.exceptions:
            await conn.execute(
                "INSERT INTO availability_exceptions(official_id, start_utc, end_utc, kind) VALUES (?, ?, ?, ?)",
                (e.official_id, e.start.isoformat(), e.end.isoformat(), str(e.kind)),
            )
        for m in data.meetings:
            await repo.insert_meeting(conn, m, "sv", False, data.start)
    await db.close()


def _booker_process(path: str, worker: int, bookers: int, concurrency: int, start_iso: str) -> tuple[int, int, int, int]:
    """One process with its own connection: `bookers` founders, `concurrency` at a time, each taking one
    of the three earliest times offered and retrying with fresh times when someone was faster."""
    import asyncio

    from booking.model import SlotTaken, TooManyMeetings
    from booking.rules import BookingRules
    from booking.service import BookingService
    from bot.clock import FakeClock
    from bot.db import Database

    async def run() -> tuple[int, int, int, int]:
        db = await Database.open(path)
        service = BookingService(db, FakeClock(datetime.fromisoformat(start_iso)), BookingRules())
        rng = random.Random(SEED + worker)
        booked = taken = gave_up = 0
        gate = asyncio.Semaphore(concurrency)

        async def founder(n: int) -> None:
            nonlocal booked, taken, gave_up
            topics = rng.sample(TOPICS[:4], rng.randint(1, 2))
            async with gate:
                for _ in range(5):
                    slots = await service.offer(topics, None, limit=3)
                    if not slots:
                        break
                    try:
                        await service.book(f"console:bench-{worker}-{n}", rng.choice(slots), topics, None, None)
                        booked += 1
                        return
                    except SlotTaken:
                        taken += 1
                    except TooManyMeetings:
                        break
                gave_up += 1

        await asyncio.gather(*(founder(n) for n in range(bookers)))
        await db.close()
        return booked, taken, gave_up, bookers

    return asyncio.run(run())


def contention_section(data: BenchData, processes: int = 4, bookers: int = 100, concurrency: int = 10) -> list[str]:
    """Many founders booking at once through BookingService, from several processes on one SQLite file."""
    import asyncio
    import itertools
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    from booking import repository as repo
    from bot.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/contention.db"
        asyncio.run(_load_database(data, path))
        began = time.perf_counter()
        with ProcessPoolExecutor(processes) as pool:
            results = list(pool.map(_booker_process, [path] * processes, range(processes), [bookers] * processes,
                                    [concurrency] * processes, [data.start.isoformat()] * processes))
        elapsed = time.perf_counter() - began

        async def double_bookings() -> int:
            db = await Database.open(path)
            async with db.read() as conn:
                meetings = await repo.active_meetings(conn, data.start - timedelta(days=1))
            await db.close()
            buffer = data.rules.buffer
            by_official: dict[str, list[Meeting]] = {}
            for m in meetings:
                for oid in m.official_ids:
                    by_official.setdefault(oid, []).append(m)
            clashes = 0
            for ms in by_official.values():
                for a, b in itertools.combinations(ms, 2):
                    generated = a.id in pre_existing and b.id in pre_existing  # the generator packs tighter
                    if not generated and a.start < b.end + buffer and b.start < a.end + buffer:
                        clashes += 1
            return clashes

        pre_existing = {m.id for m in data.meetings}
        clashes = asyncio.run(double_bookings())
    booked = sum(r[0] for r in results)
    taken = sum(r[1] for r in results)
    gave_up = sum(r[2] for r in results)
    return [
        f"contention: {processes} processes x {bookers} founders ({concurrency} at a time each) on one SQLite file, "
        f"{len(data.meetings)} meetings already booked",
        f"  {booked} booked in {elapsed:.1f} s = {booked / elapsed:.0f} bookings/s; {taken} lost a race and were offered "
        f"fresh times; {gave_up} found nothing free; double bookings: {clashes} (must be 0)",
    ]


SECTIONS: list[Callable[[BenchData], list[str]]] = [slot_search_section, calendar_section, contention_section]


def main() -> None:
    data = generate_data()
    for section in SECTIONS:
        for line in section(data):
            print(line)


if __name__ == "__main__":
    main()
