"""Booking rules: bundled defaults, YAML loading, validation errors, holidays, office-hours notice."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from booking.model import InvalidRequest
from booking.rules import BookingRules, RulesError, bundled_rules_path, load_rules, parse_rules

TZ = ZoneInfo("Europe/Stockholm")


def test_bundled_file_holds_the_defaults():
    rules = load_rules()
    assert rules == BookingRules()
    assert bundled_rules_path().is_file()
    assert rules.meeting_minutes == 30
    assert (rules.min_officials, rules.min_organisations) == (2, 2)
    assert rules.min_notice_hours == 4 and rules.horizon_days == 14 and rules.buffer_minutes == 15
    assert rules.max_meetings_per_official_per_day == 3 and rules.max_upcoming_per_founder == 2
    assert (rules.office_start, rules.office_end, rules.office_days) == (time(8), time(17), frozenset(range(5)))
    assert rules.timezone == "Europe/Stockholm"


def test_load_from_file_with_partial_settings(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "# shorter meetings\nmeeting_minutes: 45\nbuffer_minutes: 0\n"
        'office_hours: {start: "09:00", end: "16:00", days: [mon, wed]}\n'
        "closed_dates: [2026-12-28]\n",
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules.meeting_minutes == 45 and rules.buffer_minutes == 0
    assert rules.horizon_days == 14  # missing keys keep their defaults
    assert rules.office_days == frozenset({0, 2}) and rules.office_start == time(9)
    assert rules.is_closed(date(2026, 12, 28))
    assert parse_rules("") == BookingRules()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("meeting_minutes: 0", "meeting_minutes"),
        ("horizon_days: soon", "horizon_days"),
        ("colour: blue", "colour: unknown setting"),
        ("max_officials: 1", "max_officials: must be at least min_officials"),
        ("min_organisations: 3", "min_organisations: cannot exceed min_officials"),
        ("office_hours: {start: 480}", 'office_hours.start: write the time as "HH:MM"'),
        ('office_hours: {start: "17:00", end: "08:00"}', "office_hours: end must be after start"),
        ("office_hours: {days: [mon, fre]}", "unknown weekday 'fre'"),
        ("slot_step_minutes: 7", "slot_step_minutes: must divide 24 hours"),
        ("timezone: Mars/Olympus", "unknown time zone"),
        ("holidays: {country: XX}", "unknown country"),
        ("closed_dates: [2026-13-01]", "invalid value"),
        ("- a list", "expected a mapping"),
        ("meeting_minutes: [", "line 1: YAML syntax"),
    ],
)
def test_validation_errors_are_clear(text, fragment):
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "my-rules.yaml")
    assert caught.value.source == "my-rules.yaml"
    assert any(fragment in problem for problem in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith("my-rules.yaml: ")
    assert isinstance(caught.value, InvalidRequest)


def test_every_problem_is_listed():
    with pytest.raises(RulesError) as caught:
        parse_rules("meeting_minutes: 0\nhorizon_days: -1\ncolour: blue\n")
    assert len(caught.value.problems) == 3


def test_missing_file(tmp_path: Path):
    with pytest.raises(RulesError, match="file not found"):
        load_rules(tmp_path / "nope.yaml")


def test_constructing_invalid_rules_in_code_fails():
    with pytest.raises(RulesError):
        BookingRules(horizon_days=0)


def test_holidays_include_de_facto_days_but_not_every_sunday():
    rules = BookingRules()
    assert rules.is_closed(date(2026, 6, 19))  # midsommarafton
    assert rules.is_closed(date(2026, 12, 24))  # julafton
    assert rules.is_closed(date(2026, 12, 31))  # nyårsafton
    assert rules.is_closed(date(2026, 6, 6))  # nationaldagen
    assert rules.is_closed(date(2027, 3, 26))  # långfredagen 2027 (years load on demand)
    assert not rules.is_closed(date(2026, 3, 15))  # an ordinary Sunday: windows decide
    assert not rules.is_closed(date(2026, 6, 18))
    public_only = parse_rules("holidays: {country: SE, categories: [public]}")
    assert not public_only.is_closed(date(2026, 6, 19))


def test_earliest_start_counts_office_hours_on_office_days():
    rules = BookingRules()
    at = lambda *a: datetime(*a, tzinfo=TZ)  # noqa: E731
    assert rules.earliest_start(at(2026, 3, 13, 15, 0)) == at(2026, 3, 16, 10, 0)  # Friday -> Monday
    assert rules.earliest_start(at(2026, 6, 18, 15, 0)) == at(2026, 6, 22, 10, 0)  # over midsommar
    assert rules.earliest_start(at(2026, 12, 23, 16, 30)) == at(2026, 12, 28, 11, 30)  # over Christmas
    # The DST weekend: Friday 16:00 (+01:00) -> Monday 11:00 (+02:00).
    assert rules.earliest_start(at(2026, 3, 27, 16, 0)) == at(2026, 3, 30, 11, 0)
    no_notice = parse_rules("min_notice_hours: 0")
    assert no_notice.earliest_start(at(2026, 3, 14, 3, 0)) == at(2026, 3, 14, 3, 0)
