"""Booking rules: the configurable limits of a Dukat bord meeting, with bundled defaults in YAML.

"Minimum notice within office hours" means: only time inside office hours (default 08:00-17:00,
Monday-Friday, local Stockholm time) that is not a closed day (public holiday, de-facto holiday such
as midsommarafton, or a configured closed date) counts toward the notice. Booked on Friday at 15:00
with 4 hours' notice, the earliest start is Monday 10:00: two office hours on Friday, two on Monday.
The officials thereby get the notice as working time in which they can read the invitation.
Office hours only measure notice; when a meeting can take place is decided by the officials'
weekly windows and extra times, and never on a closed day.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .model import InvalidRequest

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RulesError(InvalidRequest):
    """The rules file is not valid; `problems` lists every problem as 'where: what'."""

    code = "invalid_rules"

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems), source=source)
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class BookingRules:
    """The limits the slot finder and the booking service enforce. Defaults are the product's."""

    meeting_minutes: int = 30
    min_officials: int = 2
    max_officials: int = 3  # a third official only when two cannot cover the founder's topics
    min_organisations: int = 2
    min_notice_hours: float = 4.0  # counted within office hours, see the module docstring
    horizon_days: int = 14
    buffer_minutes: int = 15  # free time around each of an official's meetings
    max_meetings_per_official_per_day: int = 3
    max_upcoming_per_founder: int = 2
    slot_step_minutes: int = 30  # candidate starts on this grid of local wall-clock time
    office_start: time = time(8, 0)
    office_end: time = time(17, 0)
    office_days: frozenset[int] = frozenset(range(5))  # 0 = Monday
    holiday_country: str = "SE"
    holiday_categories: tuple[str, ...] = ("public", "de_facto")  # de_facto: midsommar-, jul-, nyårsafton
    closed_dates: frozenset[date] = frozenset()  # extra days without meetings (e.g. a closed office)
    timezone: str = "Europe/Stockholm"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise RulesError("rules", problems)
        object.__setattr__(self, "office_days", frozenset(self.office_days))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "holiday_categories", tuple(self.holiday_categories))
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.meeting_minutes)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)

    def is_closed(self, day: date) -> bool:
        """Whether no meeting may take place on this local date (holiday or closed date)."""
        return day in self.closed_dates or day in _holiday_dates(self.holiday_country, self.holiday_categories, day.year)

    def is_office_day(self, day: date) -> bool:
        return day.weekday() in self.office_days and not self.is_closed(day)

    def earliest_start(self, now: datetime) -> datetime:
        """The earliest meeting start (UTC) that leaves `min_notice_hours` of office time after `now`."""
        remaining = timedelta(hours=self.min_notice_hours)
        now = now.astimezone(timezone.utc)
        if remaining <= timedelta(0):
            return now
        day = now.astimezone(self._tz).date()
        for _ in range(366):  # bounded: a year without office hours is a configuration error
            if self.is_office_day(day):
                opens = datetime.combine(day, self.office_start, self._tz).astimezone(timezone.utc)
                closes = datetime.combine(day, self.office_end, self._tz).astimezone(timezone.utc)
                begin = max(opens, now)
                if begin < closes:
                    if closes - begin >= remaining:
                        return begin + remaining
                    remaining -= closes - begin
            day += timedelta(days=1)
        raise InvalidRequest("no office hours within a year; check office_days and closed_dates")


@functools.lru_cache(maxsize=64)
def _holiday_dates(country: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(country, years=year, categories=categories, include_sundays=False)
    return frozenset(calendar.keys())


def _check(rules: BookingRules) -> list[str]:
    """Cross-field problems of a rules object, as readable sentences."""
    problems: list[str] = []
    positive = (
        "meeting_minutes",
        "min_officials",
        "max_officials",
        "min_organisations",
        "horizon_days",
        "max_meetings_per_official_per_day",
        "max_upcoming_per_founder",
        "slot_step_minutes",
    )
    for name in positive:
        if getattr(rules, name) < 1:
            problems.append(f"{name}: must be at least 1")
    for name in ("min_notice_hours", "buffer_minutes"):
        if getattr(rules, name) < 0:
            problems.append(f"{name}: must not be negative")
    if rules.max_officials < rules.min_officials:
        problems.append("max_officials: must be at least min_officials")
    if rules.min_organisations > rules.min_officials:
        problems.append("min_organisations: cannot exceed min_officials")
    if rules.office_end <= rules.office_start:
        problems.append("office_hours: end must be after start")
    if not rules.office_days or any(d not in range(7) for d in rules.office_days):
        problems.append("office_hours.days: at least one weekday, mon..sun")
    try:
        ZoneInfo(rules.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: unknown time zone {rules.timezone!r}")
    try:
        holidays.country_holidays(rules.holiday_country, years=2026, categories=tuple(rules.holiday_categories))
    except NotImplementedError:
        problems.append(f"holidays.country: unknown country {rules.holiday_country!r}")
    except ValueError as exc:
        problems.append(f"holidays.categories: {exc}")
    return problems


# --- YAML ------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _OfficeHours(_Strict):
    start: time = time(8, 0)
    end: time = time(17, 0)
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_text(cls, value: Any) -> Any:
        # Only "HH:MM" text: a bare number would silently be read as seconds after midnight.
        if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
            raise ValueError('write the time as "HH:MM" in quotes, e.g. "08:00"')
        return value.strip().zfill(5)

    @field_validator("days")
    @classmethod
    def _weekday_names(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if str(d).lower() not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown weekday {bad[0]!r}; use {', '.join(WEEKDAYS)}")
        return [d.lower() for d in value]


class _Holidays(_Strict):
    country: str = "SE"
    categories: list[str] = Field(default_factory=lambda: ["public", "de_facto"], min_length=1)


class _RulesFile(_Strict):
    meeting_minutes: int = Field(30, ge=5, le=480)
    min_officials: int = Field(2, ge=1)
    max_officials: int = Field(3, ge=1)
    min_organisations: int = Field(2, ge=1)
    min_notice_hours: float = Field(4.0, ge=0)
    horizon_days: int = Field(14, ge=1, le=365)
    buffer_minutes: int = Field(15, ge=0)
    max_meetings_per_official_per_day: int = Field(3, ge=1)
    max_upcoming_per_founder: int = Field(2, ge=1)
    slot_step_minutes: int = Field(30, ge=5, le=240)
    office_hours: _OfficeHours = Field(default_factory=_OfficeHours)
    holidays: _Holidays = Field(default_factory=_Holidays)
    closed_dates: list[date] = []
    timezone: str = "Europe/Stockholm"

    @field_validator("slot_step_minutes")
    @classmethod
    def _whole_days(cls, value: int) -> int:
        # The grid is counted from local midnight, so the step must divide a day.
        if (24 * 60) % value:
            raise ValueError("must divide 24 hours (e.g. 15, 20, 30, 60)")
        return value

    def to_rules(self) -> BookingRules:
        return BookingRules(
            meeting_minutes=self.meeting_minutes,
            min_officials=self.min_officials,
            max_officials=self.max_officials,
            min_organisations=self.min_organisations,
            min_notice_hours=self.min_notice_hours,
            horizon_days=self.horizon_days,
            buffer_minutes=self.buffer_minutes,
            max_meetings_per_official_per_day=self.max_meetings_per_official_per_day,
            max_upcoming_per_founder=self.max_upcoming_per_founder,
            slot_step_minutes=self.slot_step_minutes,
            office_start=self.office_hours.start,
            office_end=self.office_hours.end,
            office_days=frozenset(WEEKDAYS.index(d) for d in self.office_hours.days),
            holiday_country=self.holidays.country,
            holiday_categories=tuple(self.holidays.categories),
            closed_dates=frozenset(self.closed_dates),
            timezone=self.timezone,
        )


def bundled_rules_path() -> Path:
    return Path(str(resources.files("booking") / "data" / "rules.yaml"))


def load_rules(path: str | Path | None = None) -> BookingRules:
    """Read rules from a YAML file (None: the bundled defaults); raise RulesError listing every problem."""
    source = Path(path) if path is not None else bundled_rules_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(str(source), ["file not found"]) from None
    except UnicodeDecodeError:
        raise RulesError(str(source), ["not UTF-8 text"]) from None
    return parse_rules(text, str(source))


def parse_rules(text: str, source: str = "rules") -> BookingRules:
    """Rules from YAML text; a missing key takes its default, an unknown key is an error."""
    try:
        data: Any = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise RulesError(source, [f"{where}: YAML syntax: {getattr(exc, 'problem', None) or exc}"]) from None
    except ValueError as exc:  # e.g. a date like 2026-13-01
        raise RulesError(source, [f"invalid value: {exc}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RulesError(source, ["expected a mapping of rule names to values"])
    try:
        parsed = _RulesFile.model_validate(data)
    except ValidationError as exc:
        raise RulesError(source, [_describe(err) for err in exc.errors()]) from None
    try:
        return parsed.to_rules()
    except RulesError as exc:
        raise RulesError(source, exc.problems) from None


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"]) or "rules"
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown setting"
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {message} (got {err.get('input')!r})"
