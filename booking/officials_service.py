"""Officials' own times, shared by the chat (/tider, /franvaro: bot/features/official.py) and the web console
(bot/admin/officials.py, bot/admin/me.py): reading weekly time spans and absence dates, the checks with a
reason code for each problem, and the absence's dates as instants. Plain functions over plain data; the
changes themselves go through `BookingService` (set_week_windows, absence_effects, add_absence, remove_absence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Mapping, Sequence

from .model import InvalidRequest
from .rules import WEEKDAYS

Span = tuple[time, time]

DAY_WORDS = {
    **{w: i for i, w in enumerate(WEEKDAYS)},
    **{w: i for i, w in enumerate(("mån", "tis", "ons", "tor", "fre", "lör", "sön"))},
    **{w: i for i, w in enumerate(("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"))},
    **{w: i for i, w in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
}
MAX_ABSENCE_DAYS = 366

_SPAN = re.compile(r"^(\d{1,2})[:.](\d{2})-(\d{1,2})[:.](\d{2})$")
_DASH = re.compile(r"\s*[-–]\s*")
_SEPARATORS = re.compile(r"[\s,;]+")


class TimesProblem(InvalidRequest):
    """A day's time spans cannot be used. `reason`: format (not like 09:00-12:00), backwards (ends before it
    starts), overlap (two spans overlap); `span` is the text concerned ("" for an overlap)."""

    code = "times_problem"

    def __init__(self, reason: str, span: str = "", weekday: int | None = None) -> None:
        super().__init__(reason, reason=reason, span=span, weekday=weekday)
        self.reason = reason
        self.span = span
        self.weekday = weekday


def day_number(word: str) -> int | None:
    """0 (Monday) to 6 for a weekday word in Swedish or English, long or short; None when it is none."""
    return DAY_WORDS.get(word.strip().lower())


def parse_spans(text: str, weekday: int | None = None) -> list[Span]:
    """One day's spans from text like "09:00-12:00, 13:00-16:00" (also "9.00 - 12.00" or "09:00–12:00");
    "" or "-" is no time that day. Sorted; raises TimesProblem when a span is unreadable, backwards or
    overlaps another."""
    text = _DASH.sub("-", text.strip())
    if text in ("", "-"):
        return []
    spans = []
    for part in _SEPARATORS.split(text):
        match = _SPAN.match(part)
        try:
            start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))  # type: ignore[index]
        except (TypeError, ValueError):
            raise TimesProblem("format", part, weekday) from None
        if end <= start:
            raise TimesProblem("backwards", part, weekday)
        spans.append((start, end))
    check_spans(spans, weekday)
    return sorted(spans)


def check_spans(spans: Sequence[Span], weekday: int | None = None) -> None:
    """Each span ends after it starts and no two overlap (touching is fine); else TimesProblem."""
    for start, end in spans:
        if end <= start:
            raise TimesProblem("backwards", f"{start:%H:%M}-{end:%H:%M}", weekday)
    ordered = sorted(spans)
    for (_, a_end), (b_start, _) in zip(ordered, ordered[1:]):
        if b_start < a_end:
            raise TimesProblem("overlap", "", weekday)


def parse_week(texts: Mapping[int, str]) -> tuple[dict[int, list[Span]], list[TimesProblem]]:
    """A week's spans from one text per weekday; every day's problem (nothing is to be changed when any)."""
    week: dict[int, list[Span]] = {}
    problems: list[TimesProblem] = []
    for weekday, text in sorted(texts.items()):
        try:
            week[weekday] = parse_spans(text, weekday)
        except TimesProblem as problem:
            problems.append(problem)
    return week, problems


def spans_text(spans: Sequence[Span]) -> str:
    """The text `parse_spans` reads back: "09:00-12:00, 13:00-16:00"."""
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in sorted(spans))


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def absence_problem(first: date | None, last: date | None, today: date) -> str | None:
    """What is wrong with an absence from `first` to `last` (whole days, both included), or None:
    usage (a date missing or unreadable), backwards (ends before it starts), absurd (over already, longer
    than MAX_ABSENCE_DAYS or starting further ahead than that)."""
    if first is None or last is None:
        return "usage"
    if last < first:
        return "backwards"
    if last < today or (last - first).days >= MAX_ABSENCE_DAYS or first > today + timedelta(days=MAX_ABSENCE_DAYS):
        return "absurd"
    return None


def absence_instants(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last`, local time."""
    return datetime.combine(first, time(0), tz), datetime.combine(last + timedelta(days=1), time(0), tz)


@dataclass(frozen=True)
class Absence:
    """A recorded absence (UTC instants; whole local days when entered as dates)."""

    id: int
    official_id: str
    start: datetime
    end: datetime

    def days(self, tz: tzinfo) -> tuple[date, date]:
        """The first and last local day it covers."""
        return self.start.astimezone(tz).date(), (self.end - timedelta(microseconds=1)).astimezone(tz).date()


@dataclass(frozen=True)
class AbsenceEffect:
    """What an absence does (or would do) to one of the official's booked meetings: outcome is
    substituted (`substitute_id` invited in their place) or no_substitute (cancelled, the founder offered new times)."""

    meeting_ref: str
    start: datetime
    end: datetime
    outcome: str
    substitute_id: str | None = None
