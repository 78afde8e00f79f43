"""Busy times from an official's own calendar, as plain data: parsed from iCalendar, indexed for the slot finder.

Pure functions and one small index; reading calendars over the network is `booking/calendar_read.py`, storing
and refreshing them `booking/busy_service.py`.

What counts as busy: every VEVENT occurrence (recurrences expanded with recurring-ical-events, time zones
resolved by icalendar) that is not TRANSP:TRANSPARENT, not STATUS:CANCELLED, not marked free by Outlook
(X-MICROSOFT-CDO-BUSYSTATUS:FREE) and not one of Dukat bord's own meetings (UID …@dukat-bord: those are
known already). Floating times and all-day events are read in the booking time zone (Europe/Stockholm): an
all-day event that is busy blocks whole local days.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from .calendar import UID_DOMAIN

Interval = tuple[int, int]  # [start, end) in UTC seconds

_FREE_STATUSES = {"FREE"}


class CalendarDataError(ValueError):
    """The calendar data is not iCalendar that can be read."""


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint union; touching intervals join."""
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _instant(value: date | datetime, tz: ZoneInfo) -> int:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tz)  # an all-day event: local midnight
    elif value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=tz)  # floating time: the booking time zone
    return int(value.timestamp())


def _is_busy(event) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() in _FREE_STATUSES:
        return False
    return not str(event.get("UID", "")).endswith("@" + UID_DOMAIN)


def busy_from_ics(documents: Iterable[bytes | str], start: datetime, end: datetime, tz: ZoneInfo) -> list[Interval]:
    """The merged busy intervals overlapping [start, end) in one or more iCalendar documents.

    Raises CalendarDataError when a document is not readable iCalendar."""
    import icalendar
    import recurring_ical_events

    found: list[Interval] = []
    for document in documents:
        try:
            calendars = icalendar.Calendar.from_ical(document, multiple=True)
            for calendar in calendars:
                for event in recurring_ical_events.of(calendar, components=["VEVENT"]).between(start, end):
                    if not _is_busy(event):
                        continue
                    first = event.get("DTSTART")
                    if first is None:
                        continue
                    a = _instant(first.dt, tz)
                    last = event.get("DTEND")
                    if last is not None:
                        b = _instant(last.dt, tz)
                    elif "DURATION" in event:
                        b = a + int(event["DURATION"].dt.total_seconds())
                    else:  # RFC 5545: a date lasts the day, a date-time no time at all
                        b = _instant(first.dt + timedelta(days=1), tz) if not isinstance(first.dt, datetime) else a
                    if b > a:
                        found.append((a, b))
        except CalendarDataError:
            raise
        except Exception as exc:  # icalendar and recurring-ical-events raise many kinds on bad data
            raise CalendarDataError(type(exc).__name__) from None
    lo, hi = int(start.timestamp()), int(end.timestamp())
    return merge((max(a, lo), min(b, hi)) for a, b in found if a < hi and b > lo)


@dataclass(frozen=True)
class BusyTimes:
    """One official's busy intervals, merged: starts and ends both ascending, so either can be bisected."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> "BusyTimes":
        merged = merge(intervals)
        return cls([a for a, _ in merged], [b for _, b in merged])

    def between(self, lo: int, hi: int) -> list[Interval]:
        """The intervals that overlap [lo, hi)."""
        first = bisect.bisect_right(self.ends, lo)
        last = bisect.bisect_left(self.starts, hi)
        return list(zip(self.starts[first:last], self.ends[first:last]))

    def overlaps(self, lo: int, hi: int) -> bool:
        first = bisect.bisect_right(self.ends, lo)
        return first < len(self.starts) and self.starts[first] < hi

    def __len__(self) -> int:
        return len(self.starts)


BusyMap = Mapping[str, BusyTimes]  # official id -> their calendar's busy times


def as_utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)
