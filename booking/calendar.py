"""Calendar files (.ics, iTIP) for meetings, so calendar programs update one event per meeting.

The UID stays the same for a meeting's whole life and SEQUENCE must rise with every change the
recipients should see (moved, officials changed, cancelled), so Outlook and Google replace the
event instead of adding a second one. Times are written with TZID Europe/Stockholm and the matching
VTIMEZONE, generated from the zoneinfo database by icalendar. All user-visible text (summary,
description) comes from the caller, who takes it from the bot's catalogue.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Timezone, vCalAddress, vText

from .model import InvalidRequest, Meeting, MeetingState, Official, Organisation, Participant, ParticipantState, utc

UID_DOMAIN = "dukat-bord"
PRODID = "-//Dukat bord//Booking//EN"
Method = Literal["REQUEST", "CANCEL"]

_PARTSTAT = {
    ParticipantState.INVITED: "NEEDS-ACTION",
    ParticipantState.ACCEPTED: "ACCEPTED",
    ParticipantState.DECLINED: "DECLINED",
}


def meeting_uid(meeting: Meeting) -> str:
    """The calendar UID of a meeting: stable across moves and cancellation (references are unique)."""
    return f"{meeting.ref}@{UID_DOMAIN}"


def ics_filename(meeting: Meeting) -> str:
    return f"dukat-bord-{meeting.ref}.ics"


@functools.lru_cache(maxsize=16)
def _vtimezone(tzid: str, year: int) -> bytes:
    """VTIMEZONE for the years around `year`, serialised (cached; parsed anew for each file)."""
    # Three years keep the component short and still cover the meeting.
    component = Timezone.from_tzid(tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    zone = ZoneInfo(tzid)
    for observance in component.subcomponents:
        _fix_onsets(observance, zone)
    return component.to_ical()


def _fix_onsets(observance: Component, zone: ZoneInfo) -> None:
    """Write each onset as local time in TZOFFSETFROM, as RFC 5545 section 3.6.5 requires.

    icalendar 7 writes the first wall-clock time after the change (03:00 for the change to summer
    time), which read with TZOFFSETFROM is an hour late. Each onset is re-derived from zoneinfo.
    """
    offset_from = observance["TZOFFSETFROM"].td
    offset_to = observance["TZOFFSETTO"].td
    if offset_from == offset_to:
        return  # the initial observance, no change of offset
    rdates = [d.dt for value in _as_list(observance.get("RDATE")) for d in value.dts]
    onsets = [_onset(observance.DTSTART, offset_from, offset_to, zone)]
    onsets += [_onset(d, offset_from, offset_to, zone) for d in rdates]
    observance.DTSTART = onsets[0]
    observance.pop("RDATE", None)
    if onsets[1:]:
        observance.add("RDATE", onsets[1:])


def _as_list(value: object) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def _onset(written: datetime, offset_from: timedelta, offset_to: timedelta, zone: ZoneInfo) -> datetime:
    """The zone's change from `offset_from` to `offset_to` nearest to `written`, as local time before it."""
    step = timedelta(minutes=15)
    guess = (written - offset_to).replace(tzinfo=timezone.utc)
    for k in range(-16, 17):  # within four hours either side
        after = guess + k * step
        if after.astimezone(zone).utcoffset() == offset_to and (after - step).astimezone(zone).utcoffset() == offset_from:
            low, high = after - step, after  # the change lies in (low, high]; narrow it to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset_to:
                    high = middle
                else:
                    low = middle
            return (high + offset_from).replace(tzinfo=None)
    return written  # no change found nearby: keep what icalendar wrote


def meeting_ics(
    meeting: Meeting,
    officials: Iterable[Official],
    organisations: Iterable[Organisation],
    method: Method = "REQUEST",
    sequence: int | None = None,
    lang: str = "sv",
    *,
    summary: str,
    description: str,
    now: datetime,
    participants: Iterable[Participant] = (),
    organizer: tuple[str, str] | None = None,
    tzid: str = "Europe/Stockholm",
) -> bytes:
    """An iCalendar file for one meeting: METHOD REQUEST (new or changed) or CANCEL.

    `sequence` is the meeting's revision (0 when booked, raised on every change and on cancel);
    None takes `meeting.sequence`.
    `summary` and `description` are the texts in `lang`. Attendees are the meeting's officials that
    have an e-mail or channel address (`mailto:` their e-mail, else their chat address is the attendee URI,
    name and organisation the CN;
    `participants` gives their PARTSTAT); no e-mail addresses are invented. `organizer` is an
    optional (address, display name); `now` is the DTSTAMP.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise InvalidRequest("method must be REQUEST or CANCEL", method=method)
    if sequence is None:
        sequence = meeting.sequence
    if sequence < 0:
        raise InvalidRequest("sequence must not be negative", sequence=sequence)
    zone = ZoneInfo(tzid)
    org_names = {o.id: o.name for o in organisations}
    by_id = {o.id: o for o in officials}
    states = {p.official_id: p.state for p in participants if p.meeting_id == meeting.id}
    cancelled = method == "CANCEL" or meeting.state == MeetingState.CANCELLED

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(Timezone.from_ical(_vtimezone(tzid, meeting.start.astimezone(zone).year)))

    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", utc(now))
    event.add("dtstart", meeting.start.astimezone(zone))
    event.add("dtend", meeting.end.astimezone(zone))
    event.add("summary", vText(summary), parameters={"LANGUAGE": lang})
    event.add("description", vText(description), parameters={"LANGUAGE": lang})
    if meeting.place:
        event.add("location", meeting.place)
    event.add("status", "CANCELLED" if cancelled else ("CONFIRMED" if meeting.state == MeetingState.CONFIRMED else "TENTATIVE"))
    event.add("transp", "OPAQUE")
    if organizer is not None:
        address, name = organizer
        event.add("organizer", _cal_address(address, name))
    for official_id in meeting.official_ids:
        official = by_id.get(official_id)
        # An e-mail address is the attendee URI calendar programs recognise as their owner's; else the chat address.
        uri = f"mailto:{official.email}" if official is not None and official.email else official and official.address
        if not uri:
            continue
        org = org_names.get(official.organisation_id)
        attendee = _cal_address(uri, f"{official.name} ({org})" if org else official.name)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        attendee.params["PARTSTAT"] = _PARTSTAT[states.get(official_id, ParticipantState.INVITED)]
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def _cal_address(address: str, name: str) -> vCalAddress:
    # Channel addresses ("tg:123", "mx:@anna:example.org") are URIs of their own scheme; a client
    # cannot mail them, which is right: replies come through the bot.
    value = vCalAddress(address)
    value.params["CN"] = name
    return value
