"""Slot finding over plain data: when can which officials meet a founder?

Pure functions: the caller loads officials, weekly windows, availability exceptions and meetings
(at least those from a day before `now` to a day after the horizon, plus every upcoming meeting
for the fairness counts) and passes them in with the rules and `now`.

An official is *free* for [start, end) when
- the local (Europe/Stockholm) date of `start` is not a closed day (holiday or closed date),
- they have fewer than `max_meetings_per_official_per_day` meetings on that local date,
- [start, end) lies inside their availability: the weekly windows of that date in local time plus
  "extra" exceptions, minus "absence" exceptions,
- and it keeps `buffer_minutes` away from each of their non-cancelled meetings and from each busy interval
  of their own calendar (`busy`, see booking/busy.py).
Times are compared as integer UTC seconds; windows are turned into instants per local date, so a
window of 09:00-12:00 is 09:00-12:00 on the wall clock on both sides of a daylight-saving change.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Sequence

from .busy import BusyMap, Interval, merge
from .model import (
    AvailabilityException,
    AvailabilityKind,
    InvalidRequest,
    Meeting,
    MeetingState,
    Official,
    Slot,
    SlotTaken,
    TooManyMeetings,
    WeeklyWindow,
    utc,
)
from .rules import BookingRules

_DAY = 86400


def _ts(when: datetime) -> int:
    return int(utc(when).timestamp())


def _from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _subtract(intervals: list[Interval], cuts: list[Interval]) -> list[Interval]:
    """`intervals` (sorted, disjoint) minus the union of `cuts` (any order)."""
    if not cuts:
        return intervals
    result: list[Interval] = []
    cuts = merge(cuts)
    for a, b in intervals:
        for c, d in cuts:
            if d <= a or c >= b:
                continue
            if c > a:
                result.append((a, c))
            a = max(a, d)
            if a >= b:
                break
        if a < b:
            result.append((a, b))
    return result


def _pack(start: int, end: int) -> int:
    """A span as one int ordered by start (ints are not tracked by the cyclic GC, tuples are)."""
    return start << 32 | (end - start)


def _unpack(packed: int) -> Interval:
    start = packed >> 32
    return start, start + (packed & 0xFFFFFFFF)


class Availability:
    """Who is free when, indexed once per search: meetings per official, free intervals per local day.

    Build it from plain data; ask `is_free(official_id, start, end)` or `free_starts(...)`.
    `ignore_meeting_id` leaves one meeting out, for moving it or replacing one of its officials.
    """

    def __init__(
        self,
        *,
        officials: Iterable[Official],
        windows: Iterable[WeeklyWindow],
        exceptions: Iterable[AvailabilityException],
        meetings: Iterable[Meeting],
        rules: BookingRules,
        now: datetime,
        ignore_meeting_id: str | None = None,
        busy: BusyMap | None = None,
    ) -> None:
        self.rules = rules
        self._calendar_busy: BusyMap = busy or {}
        self.tz = rules.tz
        self.now = _ts(now)
        self.duration = rules.meeting_minutes * 60
        self.buffer = rules.buffer_minutes * 60
        self.officials: dict[str, Official] = {o.id: o for o in officials}
        # Few container objects per search: tuples built per meeting would be tracked by the
        # cyclic GC and make full collections (tens of ms in a large process) frequent.
        self._windows: dict[str, list[list[WeeklyWindow]]] = {}
        for w in windows:
            week = self._windows.get(w.official_id)
            if week is None:
                week = self._windows[w.official_id] = [[] for _ in range(7)]
            week[w.weekday].append(w)
        self._absences: dict[str, list[Interval]] = {}
        self._extras: dict[str, list[Interval]] = {}
        for e in exceptions:
            target = self._extras if e.kind == AvailabilityKind.EXTRA else self._absences
            target.setdefault(e.official_id, []).append((_ts(e.start), _ts(e.end)))
        self._dates: dict[int, date] = {}
        self._busy: dict[str, list[int]] = {}  # packed spans, see _pack
        self._per_day: dict[str, dict[date, int]] = {}
        self.load: dict[str, int] = {}  # upcoming (not yet ended) meetings per official
        self._longest = 0
        busy, per_day, load, now_ts = self._busy, self._per_day, self.load, self.now
        for m in meetings:
            if m.state == MeetingState.CANCELLED or m.id == ignore_meeting_id:
                continue
            # Meeting datetimes are UTC already (the model normalises them).
            start, end = int(m.start.timestamp()), int(m.end.timestamp())
            packed = _pack(start, end)
            day = self.local_date(start)
            upcoming = end > now_ts
            if end - start > self._longest:
                self._longest = end - start
            for oid in m.official_ids:
                spans = busy.get(oid)
                if spans is None:
                    busy[oid] = [packed]
                else:
                    spans.append(packed)
                days = per_day.get(oid)
                if days is None:
                    per_day[oid] = {day: 1}
                else:
                    days[day] = days.get(day, 0) + 1
                if upcoming:
                    load[oid] = load.get(oid, 0) + 1
        for spans in busy.values():
            spans.sort()  # packed spans sort by start
        self._free: dict[tuple[str, date], list[Interval]] = {}
        self._instants: dict[tuple[date, time], int] = {}
        self._day_bounds: dict[date, Interval] = {}

    # --- local time -------------------------------------------------------------------------------

    def local_date(self, ts: int) -> date:
        # Offsets change on whole hours, so the local date is constant within a UTC hour.
        hour = ts // 3600
        day = self._dates.get(hour)
        if day is None:
            day = self._dates[hour] = datetime.fromtimestamp(hour * 3600, self.tz).date()
        return day

    def instant(self, day: date, at: time) -> int:
        """UTC seconds of a local wall-clock time on a local date (cached: windows share times)."""
        key = (day, at)
        value = self._instants.get(key)
        if value is None:
            value = self._instants[key] = int(datetime.combine(day, at, self.tz).timestamp())
        return value

    def day_bounds(self, day: date) -> Interval:
        bounds = self._day_bounds.get(day)
        if bounds is None:
            bounds = self._day_bounds[day] = (self.instant(day, time(0)), self.instant(day + timedelta(days=1), time(0)))
        return bounds

    # --- availability -----------------------------------------------------------------------------

    def meetings_on(self, official_id: str, day: date) -> int:
        """Non-cancelled meetings of the official starting on local `day`."""
        return self._per_day.get(official_id, _NO_DAYS).get(day, 0)

    def free_intervals(self, official_id: str, day: date) -> list[Interval]:
        """Where a meeting starting on local `day` may lie for this official (buffers applied)."""
        key = (official_id, day)
        cached = self._free.get(key)
        if cached is not None:
            return cached
        result: list[Interval] = []
        if not self.rules.is_closed(day) and self.meetings_on(official_id, day) < self.rules.max_meetings_per_official_per_day:
            day0, day1 = self.day_bounds(day)
            spans = [
                (self.instant(day, w.start), self.instant(day, w.end))
                for w in self._windows.get(official_id, _NO_WINDOWS)[day.weekday()]
            ]
            spans.extend((a, b) for a, b in self._extras.get(official_id, ()) if a < day1 and b > day0)
            result = merge(spans)
            if result:
                result = _subtract(result, [s for s in self._absences.get(official_id, ()) if s[0] < result[-1][1]])
            if result:
                result = _subtract(result, self._busy_near(official_id, result[0][0], result[-1][1]))
            calendar = self._calendar_busy.get(official_id)
            if result and calendar:
                near = calendar.between(result[0][0] - self.buffer, result[-1][1] + self.buffer)
                result = _subtract(result, [(a - self.buffer, b + self.buffer) for a, b in near])
        self._free[key] = result
        return result

    def _busy_near(self, official_id: str, lo: int, hi: int) -> list[Interval]:
        """The official's meetings widened by the buffer that touch [lo, hi)."""
        spans = self._busy.get(official_id)
        if not spans:
            return []
        first = bisect.bisect_left(spans, _pack(lo - self.buffer - self._longest, lo - self.buffer - self._longest))
        last = bisect.bisect_left(spans, _pack(hi + self.buffer + 1, hi + self.buffer + 1))
        result = []
        for packed in spans[first:last]:
            start, end = _unpack(packed)
            result.append((start - self.buffer, end + self.buffer))
        return result

    def is_free(self, official_id: str, start: datetime, end: datetime) -> bool:
        """Whether the official could take a meeting [start, end) by every availability rule."""
        a, b = _ts(start), _ts(end)
        for lo, hi in self.free_intervals(official_id, self.local_date(a)):
            if lo <= a and b <= hi:
                return True
        return False

    def free_starts(self, official_id: str, day: date, lo: int, hi: int) -> Iterable[int]:
        """Grid-aligned starts in [lo, hi) on local `day` at which the official is free."""
        step = self.rules.slot_step_minutes * 60
        day0, day1 = self.day_bounds(day)
        lo, hi = max(lo, day0), min(hi, day1)
        for a, b in self.free_intervals(official_id, day):
            first = max(a, lo)
            # Align on the local wall clock; the step divides a day, so epoch-based alignment works.
            offset = int(datetime.fromtimestamp(first, self.tz).utcoffset().total_seconds())  # type: ignore[union-attr]
            first = math.ceil((first + offset) / step) * step - offset
            yield from range(first, min(b - self.duration, hi - 1) + 1, step)


_NO_WINDOWS: list[list[WeeklyWindow]] = [[] for _ in range(7)]
_NO_DAYS: dict[date, int] = {}


# --- choosing officials -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    official: Official
    mask: int  # requested topics covered, as bits
    load: int

    @property
    def fairness(self) -> tuple[int, str]:
        return (self.load, self.official.id)


class _Chooser:
    """Picks the best table for a set of free officials; results cached per set."""

    def __init__(self, candidates: dict[str, _Candidate], rules: BookingRules) -> None:
        self.candidates = candidates
        self.rules = rules
        self._cache: dict[frozenset[str], tuple[Official, ...] | None] = {}

    def choose(self, free_ids: Iterable[str]) -> tuple[Official, ...] | None:
        key = frozenset(free_ids)
        if key not in self._cache:
            self._cache[key] = self._choose(key)
        return self._cache[key]

    def _choose(self, free_ids: frozenset[str]) -> tuple[Official, ...] | None:
        rules = self.rules
        ordered = sorted((self.candidates[i] for i in free_ids), key=lambda c: c.fairness)
        # Officials of the same organisation covering the same topics are interchangeable; a table
        # needs at most `spare` of one kind (one, unless more officials than organisations are
        # required), and the first ones in fairness order are the best of their kind.
        spare = max(1, rules.min_officials - rules.min_organisations + 1)
        per_kind: dict[tuple[str, int], int] = {}
        kept: list[_Candidate] = []
        for c in ordered:
            kind = (c.official.organisation_id, c.mask)
            if per_kind.get(kind, 0) >= spare:
                continue
            # A colleague who is fairer and covers these topics too always makes a table at least
            # as good (valid only when one of a kind suffices).
            if spare == 1 and any(
                k.official.organisation_id == c.official.organisation_id and c.mask & ~k.mask == 0 for k in kept
            ):
                continue
            per_kind[kind] = per_kind.get(kind, 0) + 1
            kept.append(c)
        if len({c.official.organisation_id for c in kept}) < rules.min_organisations or len(kept) < rules.min_officials:
            return None
        reachable = 0
        for c in kept:
            reachable |= c.mask
        # Most topics covered, then fewer officials, then the least loaded busiest member (spreads
        # load), then ids for a stable choice. Sizes grow only while coverage can still grow.
        best: tuple[tuple[int, int, tuple[int, ...], tuple[str, ...]], tuple[_Candidate, ...]] | None = None
        for size in range(rules.min_officials, min(rules.max_officials, len(kept)) + 1):
            floor = -best[0][0] + 1 if best is not None else 0  # a larger table must cover more
            for combo in itertools.combinations(kept, size):
                covered = 0
                for c in combo:
                    covered |= c.mask
                count = covered.bit_count()
                if count < floor or len({c.official.organisation_id for c in combo}) < rules.min_organisations:
                    continue
                floor = count  # later combinations of this size must cover at least as much
                score = (
                    -count,
                    size,
                    tuple(sorted((c.load for c in combo), reverse=True)),
                    tuple(sorted(c.official.id for c in combo)),
                )
                if best is None or score < best[0]:
                    best = (score, combo)
            if best is not None and -best[0][0] == reachable.bit_count():
                break  # a larger table cannot cover more
        if best is None:
            return None
        return tuple(sorted((c.official for c in best[1]), key=lambda o: (o.organisation_id, o.id)))


def _topic_mask(official: Official, topic_bits: dict[str, int]) -> int:
    mask = 0
    for t in official.topics:
        mask |= topic_bits.get(t, 0)
    return mask


def _eligible(
    officials: Iterable[Official],
    topics: Sequence[str],
    municipality: str | None,
    exclude: Iterable[str] = (),
) -> tuple[list[Official], dict[str, int]]:
    """Active officials serving the municipality who cover at least one requested topic."""
    topic_bits = {t: 1 << i for i, t in enumerate(dict.fromkeys(topics))}
    excluded = set(exclude)
    chosen = [
        o
        for o in officials
        if o.active
        and o.id not in excluded
        and o.serves(municipality)
        and (not topic_bits or _topic_mask(o, topic_bits))
    ]
    return chosen, topic_bits


# --- public functions ---------------------------------------------------------------------------


def find_slots(
    *,
    officials: Iterable[Official],
    windows: Iterable[WeeklyWindow],
    exceptions: Iterable[AvailabilityException],
    meetings: Iterable[Meeting],
    rules: BookingRules,
    now: datetime,
    topics: Sequence[str],
    municipality: str | None,
    limit: int = 5,
    after: datetime | None = None,
    exclude_officials: Iterable[str] = (),
    ignore_meeting_id: str | None = None,
    busy: BusyMap | None = None,
    per_day: int | None = None,
) -> list[Slot]:
    """Up to `limit` bookable slots, earliest first, each with the officials chosen for it.

    A slot starts after the minimum notice (and after `after`, for "more times"), within the
    horizon, on the slot grid, with officials free by `Availability`. Its officials number at least
    `min_officials` from at least `min_organisations` organisations, all serve `municipality`, each
    covers at least one of `topics` (no topics: anyone), and together they cover as many topics as
    possible; among equal tables the less loaded officials are chosen. `exclude_officials` leaves
    officials out (e.g. one who declined); `ignore_meeting_id` frees a meeting being moved;
    `per_day` caps the slots offered per local day, to show more days; `busy` holds the busy times of the
    officials' own calendars (none offered overlaps them, buffers applied).
    """
    if limit <= 0:
        return []
    officials = list(officials)
    pool, topic_bits = _eligible(officials, topics, municipality, exclude_officials)
    if len({o.organisation_id for o in pool}) < rules.min_organisations or len(pool) < rules.min_officials:
        return []
    index = Availability(
        officials=officials,
        windows=windows,
        exceptions=exceptions,
        meetings=meetings,
        rules=rules,
        now=now,
        ignore_meeting_id=ignore_meeting_id,
        busy=busy,
    )
    chooser = _Chooser(
        {o.id: _Candidate(o, _topic_mask(o, topic_bits), index.load.get(o.id, 0)) for o in pool},
        rules,
    )
    lo = _ts(rules.earliest_start(now))
    if after is not None:
        lo = max(lo, _ts(after) + 1)
    hi = _ts(now) + rules.horizon_days * _DAY  # starts strictly before now + horizon
    found: list[Slot] = []
    day = index.local_date(lo)
    last_day = index.local_date(hi)
    while day <= last_day and len(found) < limit:
        if not rules.is_closed(day):
            by_start: dict[int, list[str]] = {}
            for o in pool:
                for start in index.free_starts(o.id, day, lo, hi):
                    by_start.setdefault(start, []).append(o.id)
            taken_today = 0
            for start in sorted(by_start):
                table = chooser.choose(by_start[start])
                if table is None:
                    continue
                found.append(Slot(_from_ts(start), _from_ts(start + index.duration), table))
                taken_today += 1
                if len(found) >= limit or (per_day is not None and taken_today >= per_day):
                    break
        day += timedelta(days=1)
    return found


def find_substitute(
    meeting: Meeting,
    declining_official_id: str,
    *,
    officials: Iterable[Official],
    windows: Iterable[WeeklyWindow],
    exceptions: Iterable[AvailabilityException],
    meetings: Iterable[Meeting],
    rules: BookingRules,
    now: datetime,
    exclude: Iterable[str] = (),
    busy: BusyMap | None = None,
) -> Official | None:
    """The best official to take a declining official's place at the same time, or None.

    The substitute is free then (buffers, daily cap, windows, absences), serves the meeting's
    municipality, covers at least one of its topics, and keeps the table at `min_organisations`
    organisations. Preferred: covering the topics nobody left covers, then more of the meeting's
    topics, then fewer upcoming meetings, then id. `exclude` lists officials who already declined.
    Minimum notice is not applied (the meeting is already booked); a started meeting gets none.
    """
    if meeting.start <= utc(now) or not meeting.active:
        return None
    officials = list(officials)
    by_id = {o.id: o for o in officials}
    remaining = [by_id[i] for i in meeting.official_ids if i != declining_official_id and i in by_id]
    skip = set(exclude) | set(meeting.official_ids) | {declining_official_id}
    pool, _ = _eligible(officials, meeting.topics, meeting.municipality, skip)
    if not pool:
        return None
    index = Availability(
        officials=officials,
        windows=windows,
        exceptions=exceptions,
        meetings=meetings,
        rules=rules,
        now=now,
        ignore_meeting_id=meeting.id,
        busy=busy,
    )
    wanted = set(meeting.topics)
    uncovered = wanted - set().union(*(o.topics for o in remaining))
    orgs = {o.organisation_id for o in remaining}
    best: tuple[tuple[int, int, int, str], Official] | None = None
    for o in pool:
        if len(orgs | {o.organisation_id}) < rules.min_organisations:
            continue
        if not index.is_free(o.id, meeting.start, meeting.end):
            continue
        score = (-len(o.topics & uncovered), -len(o.topics & wanted), index.load.get(o.id, 0), o.id)
        if best is None or score < best[0]:
            best = (score, o)
    return best[1] if best else None


def upcoming_for_founder(
    meetings: Iterable[Meeting], founder_address: str, now: datetime, ignore_meeting_id: str | None = None
) -> int:
    """How many of the founder's meetings are not cancelled and have not started."""
    at = utc(now)
    return sum(
        1
        for m in meetings
        if m.founder_address == founder_address and m.active and m.start > at and m.id != ignore_meeting_id
    )


def check_founder_limit(
    meetings: Iterable[Meeting],
    founder_address: str,
    rules: BookingRules,
    now: datetime,
    ignore_meeting_id: str | None = None,
) -> None:
    """Raise TooManyMeetings when the founder may not book another meeting now."""
    count = upcoming_for_founder(meetings, founder_address, now, ignore_meeting_id)
    if count >= rules.max_upcoming_per_founder:
        raise TooManyMeetings(limit=rules.max_upcoming_per_founder, count=count)


def check_slot(
    slot: Slot,
    *,
    officials: Iterable[Official],
    windows: Iterable[WeeklyWindow],
    exceptions: Iterable[AvailabilityException],
    meetings: Iterable[Meeting],
    rules: BookingRules,
    now: datetime,
    topics: Sequence[str],
    municipality: str | None,
    founder_address: str | None = None,
    ignore_meeting_id: str | None = None,
    busy: BusyMap | None = None,
) -> None:
    """Re-check a chosen slot against fresh data; return None if it can be booked, else raise.

    Call inside the booking write transaction with data read in that transaction. Raises
    TooManyMeetings (founder limit, when `founder_address` is given), SlotTaken (an official is no
    longer free or active, or the time is now too soon or beyond the horizon: offer fresh times) or
    InvalidRequest (the table itself breaks the rules). Officials are looked up by id in
    `officials`, so changes since the slot was offered count. `ignore_meeting_id`: a meeting being
    moved, which neither blocks its own officials nor counts toward the founder's limit.
    """
    meetings = list(meetings)
    if slot.end - slot.start != rules.duration:
        raise InvalidRequest("slot length differs from the meeting length", minutes=rules.meeting_minutes)
    if founder_address is not None:
        check_founder_limit(meetings, founder_address, rules, now, ignore_meeting_id)
    if slot.start < rules.earliest_start(now):
        raise SlotTaken("too soon", reason="notice")
    if slot.start >= utc(now) + rules.horizon:
        raise SlotTaken("beyond the horizon", reason="horizon")
    officials = list(officials)
    by_id = {o.id: o for o in officials}
    ids = list(dict.fromkeys(slot.official_ids))
    if not rules.min_officials <= len(ids) <= rules.max_officials:
        raise InvalidRequest("wrong number of officials", count=len(ids))
    fresh = []
    for oid in ids:
        official = by_id.get(oid)
        if official is None or not official.active:
            raise SlotTaken("official no longer available", reason="inactive", official_id=oid)
        fresh.append(official)
    if len({o.organisation_id for o in fresh}) < rules.min_organisations:
        raise InvalidRequest("too few organisations", reason="organisations")
    for o in fresh:
        if not o.serves(municipality):
            raise InvalidRequest("official does not serve the municipality", reason="municipality", official_id=o.id)
        if topics and not o.topics.intersection(topics):
            raise InvalidRequest("official covers none of the topics", reason="topics", official_id=o.id)
    index = Availability(
        officials=officials,
        windows=windows,
        exceptions=exceptions,
        meetings=meetings,
        rules=rules,
        now=now,
        ignore_meeting_id=ignore_meeting_id,
        busy=busy,
    )
    for o in fresh:
        if not index.is_free(o.id, slot.start, slot.end):
            raise SlotTaken("official is no longer free", reason="busy", official_id=o.id)


def nearest_slots(slots: Iterable[Slot], start: datetime, end: datetime, limit: int = 4) -> list[Slot]:
    """The `limit` slots closest to a wished window [start, end] (inside it first), earliest first."""
    def distance(slot: Slot) -> timedelta:
        if slot.start < start:
            return start - slot.start
        if slot.start > end:
            return slot.start - end
        return timedelta(0)

    chosen = sorted(slots, key=lambda s: (distance(s), s.start))[:limit]
    return sorted(chosen, key=lambda s: s.start)

