"""Calendar files: parse back, stable UID, rising SEQUENCE, CANCEL, TZID/VTIMEZONE, DST."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import vobject
from dateutil.rrule import rrulestr
from icalendar import Calendar

from booking.calendar import ics_filename, meeting_ics, meeting_uid
from booking.calendar import vtimezone as booking_vtimezone
from booking.model import InvalidRequest, Meeting, Official, Organisation, Participant

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
ORGS = [Organisation("kommun", "Demo kommun", "kommun"), Organisation("af", "Arbetsförmedlingen", "arbetsformedlingen")]
OFFICIALS = [
    Official("k1", "Demo Handläggare", "kommun", frozenset({"starta"}), address="tg:123"),
    Official("af1", "Demo Rådgivare", "af", frozenset({"anstallningsstod"}), address="mx:@demo:example.org"),
    Official("c1", "Utan Adress", "af", frozenset({"starta"}), address=None),
]


def booked(start: datetime, ids=("k1", "af1"), **changes) -> Meeting:
    base = Meeting("m1", "K7Q2", "console:founder", start, start + timedelta(minutes=30), "Storgatan 1, Demo",
                   ("starta",), "Demo", "Secret idea about bees", "pending", tuple(ids))
    return dataclasses.replace(base, **changes)


def ics(meeting: Meeting, method="REQUEST", sequence=0, **kwargs) -> bytes:
    kwargs.setdefault("summary", "Dukat bord K7Q2")
    kwargs.setdefault("description", "Möte med kommunen och Arbetsförmedlingen")
    return meeting_ics(meeting, OFFICIALS, ORGS, method, sequence, "sv", now=NOW, **kwargs)


def event_of(data: bytes):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_file_parses_back_with_the_meeting_data():
    data = ics(booked(datetime(2026, 3, 24, 9, 0, tzinfo=TZ)))
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    calendar, event = event_of(data)
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert event["UID"] == "K7Q2@dukat-bord" == meeting_uid(booked(NOW))
    assert event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Dukat bord K7Q2" and event["SUMMARY"].params["LANGUAGE"] == "sv"
    assert str(event["DESCRIPTION"]) == "Möte med kommunen och Arbetsförmedlingen"
    assert str(event["LOCATION"]) == "Storgatan 1, Demo"
    assert event["DTSTAMP"].dt == NOW
    assert event["STATUS"] == "TENTATIVE"
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=30)
    assert ics_filename(booked(NOW)) == "dukat-bord-K7Q2.ics"


def test_attendees_only_by_channel_address_and_nothing_invented():
    meeting = booked(datetime(2026, 3, 24, 9, 0, tzinfo=TZ), ids=("k1", "af1", "c1"))
    data = ics(meeting, participants=[Participant("m1", "k1", "accepted"), Participant("other", "af1", "declined")])
    _, event = event_of(data)
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {"tg:123", "mx:@demo:example.org"}  # c1 has no address: left out
    assert attendees["tg:123"]["CN"] == "Demo Handläggare (Demo kommun)"
    assert attendees["tg:123"]["PARTSTAT"] == "ACCEPTED"
    assert attendees["mx:@demo:example.org"]["PARTSTAT"] == "NEEDS-ACTION"  # other meeting's answer ignored
    assert b"mailto" not in data.lower()
    assert "ORGANIZER" not in event
    # The founder's address and idea are not in the file unless the caller puts them in the text.
    assert b"founder" not in data and b"bees" not in data
    _, with_organizer = event_of(ics(meeting, organizer=("console:dukat-bord", "Dukat bord")))
    assert str(with_organizer["ORGANIZER"]) == "console:dukat-bord"
    assert with_organizer["ORGANIZER"].params["CN"] == "Dukat bord"


def test_move_keeps_uid_and_raises_sequence():
    first = booked(datetime(2026, 3, 24, 9, 0, tzinfo=TZ))
    moved = dataclasses.replace(first, start=first.start + timedelta(days=1), end=first.end + timedelta(days=1),
                                state="confirmed")
    _, before = event_of(ics(first, sequence=0))
    _, after = event_of(ics(moved, sequence=1))
    assert before["UID"] == after["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt == datetime(2026, 3, 25, 9, 0, tzinfo=TZ)
    assert after["STATUS"] == "CONFIRMED"
    # By default the file carries the meeting's own revision.
    _, stored = event_of(meeting_ics(dataclasses.replace(moved, sequence=3), OFFICIALS, ORGS, summary="s",
                                     description="d", now=NOW))
    assert stored["SEQUENCE"] == 3


def test_cancel_has_method_cancel_and_status_cancelled():
    meeting = booked(datetime(2026, 3, 24, 9, 0, tzinfo=TZ))
    calendar, event = event_of(ics(meeting, method="CANCEL", sequence=2))
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == meeting_uid(meeting) and event["SEQUENCE"] == 2
    with pytest.raises(InvalidRequest):
        ics(meeting, method="PUBLISH")
    with pytest.raises(InvalidRequest):
        ics(meeting, sequence=-1)


def test_tzid_and_vtimezone_present():
    data = ics(booked(datetime(2026, 3, 24, 9, 0, tzinfo=TZ)))
    calendar, event = event_of(data)
    assert b"DTSTART;TZID=Europe/Stockholm:20260324T090000\r\n" in data
    assert b"DTEND;TZID=Europe/Stockholm:20260324T093000\r\n" in data
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    assert calendar.get_missing_tzids() == set()


@pytest.mark.parametrize(
    "local_start, utc_hour",
    [
        (datetime(2026, 3, 27, 9, 0), 8),  # Friday before the March change: +01:00
        (datetime(2026, 3, 30, 9, 0), 7),  # Monday after: +02:00
        (datetime(2026, 10, 23, 9, 0), 7),  # Friday before the October change: +02:00
        (datetime(2026, 10, 26, 9, 0), 8),  # Monday after: +01:00
    ],
)
def test_local_times_are_right_across_dst(local_start, utc_hour):
    meeting = booked(local_start.replace(tzinfo=TZ))
    data = ics(meeting)
    assert f"DTSTART;TZID=Europe/Stockholm:{local_start:%Y%m%dT%H%M%S}".encode() in data
    _, event = event_of(data)
    assert event["DTSTART"].dt.astimezone(timezone.utc).hour == utc_hour
    assert event["DTSTART"].dt == meeting.start


def _onsets(observance, until: datetime) -> list[datetime]:
    """An observance's onsets as local wall-clock times: DTSTART, its RRULE and RDATEs."""
    first = observance["DTSTART"].dt
    starts = [first]
    if "RRULE" in observance:
        starts = list(rrulestr(observance["RRULE"].to_ical().decode(), dtstart=first).between(first, until, inc=True))
    rdates = observance.get("RDATE", [])
    for value in rdates if isinstance(rdates, list) else [rdates]:
        starts += [d.dt for d in value.dts]
    return starts


def test_vtimezone_onsets_are_the_real_transitions():
    # RFC 5545 3.6.5: an observance's DTSTART is local time in its TZOFFSETFROM.
    calendar, _ = event_of(ics(booked(datetime(2026, 6, 1, 9, 0, tzinfo=TZ))))
    (vtimezone,) = calendar.walk("VTIMEZONE")
    onsets = []
    for observance in vtimezone.subcomponents:
        before, after = observance["TZOFFSETFROM"].td, observance["TZOFFSETTO"].td
        if before == after:
            continue
        for local_onset in _onsets(observance, datetime(2040, 12, 31)):
            instant = (local_onset - before).replace(tzinfo=timezone.utc)
            assert (instant - timedelta(seconds=1)).astimezone(TZ).utcoffset() == before
            assert instant.astimezone(TZ).utcoffset() == after
            onsets.append(instant)
    assert datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc) in onsets
    assert datetime(2026, 10, 25, 1, 0, tzinfo=timezone.utc) in onsets
    assert datetime(2040, 10, 28, 1, 0, tzinfo=timezone.utc) in onsets  # yearly rules: no end year
    assert len(onsets) == 2 * (2040 - 1996 + 1)


def test_vtimezone_is_written_with_yearly_rules_as_outlook_reads_them():
    data = ics(booked(datetime(2027, 6, 15, 15, 0, tzinfo=TZ)))
    calendar, _ = event_of(data)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    summer, winter = vtimezone.walk("DAYLIGHT"), vtimezone.walk("STANDARD")
    assert len(summer) == len(winter) == 1 and b"RDATE" not in data
    for observance, month, onset in ((summer[0], 3, time(2, 0)), (winter[0], 10, time(3, 0))):
        rule = observance["RRULE"]
        assert (rule["FREQ"], rule["BYMONTH"], rule["BYDAY"]) == (["YEARLY"], [month], ["-1SU"])
        assert observance["DTSTART"].dt.time() == onset  # local time in TZOFFSETFROM
    assert (summer[0]["TZOFFSETFROM"].td, summer[0]["TZOFFSETTO"].td) == (timedelta(hours=1), timedelta(hours=2))
    assert (str(summer[0]["TZNAME"]), str(winter[0]["TZNAME"])) == ("CEST", "CET")
    # The one function every calendar object takes its zone from.
    assert vtimezone.to_ical() == booking_vtimezone().to_ical()


@pytest.mark.parametrize("local, offset", [(datetime(2027, 6, 15, 15, 0), timedelta(hours=2)),
                                           (datetime(2027, 1, 15, 15, 0), timedelta(hours=1)),
                                           (datetime(2033, 7, 1, 9, 0), timedelta(hours=2))],
                         ids=["summer", "winter", "years-ahead"])
def test_summer_and_winter_meetings_read_right_with_icalendar_and_vobject(local, offset):
    """Both parsers take the zone from the file's own VTIMEZONE, as Radicale and Outlook do."""
    data = ics(booked(local.replace(tzinfo=TZ)))
    calendar, event = event_of(data)
    (component,) = calendar.walk("VTIMEZONE")
    from_file = component.to_tz(lookup_tzid=False)  # icalendar, not its own zoneinfo lookup
    assert local.replace(tzinfo=from_file).utcoffset() == offset
    assert event["DTSTART"].dt.utcoffset() == offset and event["DTSTART"].dt.replace(tzinfo=None) == local
    parsed = vobject.readOne(data.decode())
    start = parsed.vevent.dtstart.value
    assert start.replace(tzinfo=None) == local and start.utcoffset() == offset
    assert local.replace(tzinfo=parsed.vtimezone.gettzinfo()).utcoffset() == offset
    assert parsed.vevent.dtend.value.astimezone(timezone.utc) == (local.replace(tzinfo=TZ) + timedelta(minutes=30)).astimezone(timezone.utc)
