"""The one place that turns times into text for users (Europe/Stockholm, Swedish or English).

Day and month names and the patterns come from the catalogue (`time.*` keys)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from .catalogue import Catalogue
from .clock import STOCKHOLM


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    return Catalogue.load()


def local(when: datetime) -> datetime:
    return when.astimezone(STOCKHOLM)


def _names(lang: str, key: str) -> list[str]:
    return _catalogue().text(lang, key).split(",")


def format_date(when: datetime, lang: str = "sv") -> str:
    """'tisdag 3 mars' / 'Tuesday 3 March', in Stockholm time."""
    t = local(when)
    return _catalogue().text(
        lang, "time.date", weekday=_names(lang, "time.weekdays")[t.weekday()], day=t.day,
        month=_names(lang, "time.months")[t.month - 1], year=t.year,
    )


def format_datetime(when: datetime, lang: str = "sv") -> str:
    """'tisdag 3 mars 2026 kl. 10:30' / 'Tuesday 3 March 2026 at 10:30', in Stockholm time."""
    t = local(when)
    return _catalogue().text(lang, "time.datetime", date=format_date(when, lang), year=t.year, time=f"{t:%H:%M}")


def format_time_range(start: datetime, end: datetime, lang: str = "sv") -> str:
    return _catalogue().text(lang, "time.range", start=format_datetime(start, lang), end=f"{local(end):%H:%M}")


def format_short(when: datetime, lang: str = "sv") -> str:
    """'tis 10 mar 14:00' / 'Tue 10 Mar 14:00', in Stockholm time: fits on a button."""
    t = local(when)
    return _catalogue().text(
        lang, "time.short", weekday=_names(lang, "time.weekdays_short")[t.weekday()], day=t.day,
        month=_names(lang, "time.months_short")[t.month - 1], time=f"{t:%H:%M}",
    )


def format_clock(when: datetime) -> str:
    return f"{local(when):%H:%M}"


def format_wish(wish, lang: str = "sv") -> str:
    """A wished time as the founder might say it: 'fredag 4 december 08:00–12:00' or '… kl. 10:00'."""
    if wish.exact or wish.start == wish.end:
        return format_datetime(wish.start, lang)
    start, end = local(wish.start), local(wish.end)
    if start.date() == end.date() and (start.hour, start.minute) == (0, 0) and (end.hour, end.minute) >= (23, 59):
        return format_date(wish.start, lang)  # a whole day ("på onsdag"), not "00:00–23:59"
    if start.date() == end.date():
        return _catalogue().text(lang, "time.wish_window", date=format_date(wish.start, lang),
                                 start=f"{start:%H:%M}", end=f"{end:%H:%M}")
    return _catalogue().text(lang, "time.wish_days", start=format_date(wish.start, lang), end=format_date(wish.end, lang))
