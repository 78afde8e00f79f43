"""Calendar files (.ics, iTIP) for meetings, so calendar programs update one event per meeting.

The UID stays the same for a meeting's whole life and SEQUENCE must rise with every change the
recipients should see (moved, officials changed, cancelled), so Outlook and Google replace the
event instead of adding a second one. Times are written with TZID Europe/Stockholm and the matching
VTIMEZONE with yearly rules (`vtimezone`), the same in the chat's .ics files, the e-mailed meeting
requests and the officials' calendar feeds. All user-visible text (summary, description) comes from the
caller, who takes it from the bot's catalogue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration, vText

from .model import InvalidRequest, Meeting, MeetingState, Official, Organisation, Participant, ParticipantState, utc

UID_DOMAIN = "dukat-bord"
PRODID = "-//Dukat bord//Booking//EN"
Method = Literal["REQUEST", "CANCEL"]
FEED_REFRESH = timedelta(hours=1)  # how often a subscribed calendar should fetch a feed again

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


# Since 1996 the EU changes the clocks at 01:00 UTC on the last Sunday of March and of October
# (Directive 2000/84/EC). Written as yearly RRULEs, as Outlook's iCalendar import requires; an RDATE list
# covers only the years it names, and parsers that take the zone from the VTIMEZONE (vobject, so Radicale,
# keeping the first one it sees per TZID) read every other year as standard time.
EU_SUMMER_RULE = {"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"}
EU_WINTER_RULE = {"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"}
EU_RULES_SINCE = 1996
EU_RULES_CHECKED_UNTIL = 2037  # the rules are checked against zoneinfo up to this year


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _eu_change(year: int, month: int) -> datetime:
    return datetime.combine(_last_sunday(year, month), time(1, 0), tzinfo=timezone.utc)


@functools.lru_cache(maxsize=8)
def _vtimezone(tzid: str) -> bytes:
    """VTIMEZONE of `tzid` with yearly rules, serialised (cached; parsed anew for each file).

    The offsets and names come from zoneinfo; a zone with summer time must change at the EU's times
    (checked against zoneinfo for every year the rules are written for), else ValueError.
    """
    zone = ZoneInfo(tzid)
    winter = datetime(EU_RULES_SINCE + 5, 1, 15, 12, tzinfo=zone)
    summer = datetime(EU_RULES_SINCE + 5, 7, 15, 12, tzinfo=zone)
    standard, daylight = winter.utcoffset(), summer.utcoffset()
    component = Timezone()
    component.add("tzid", tzid)
    if standard == daylight:
        component.add_component(_observance(TimezoneStandard, winter.tzname(), standard, standard,
                                            datetime(1970, 1, 1), None))
        return component.to_ical()
    for year in range(EU_RULES_SINCE, EU_RULES_CHECKED_UNTIL + 1):
        for month, before, after in ((3, standard, daylight), (10, daylight, standard)):
            change = _eu_change(year, month)
            if ((change - timedelta(seconds=1)).astimezone(zone).utcoffset() != before
                    or change.astimezone(zone).utcoffset() != after):
                raise ValueError(f"{tzid} does not change its clocks at the EU's times in {year}")
    # RFC 5545 3.6.5: an onset is the local time in TZOFFSETFROM (02:00 in March, 03:00 in October for CET).
    to_summer = (_eu_change(EU_RULES_SINCE, 3) + standard).replace(tzinfo=None)
    to_winter = (_eu_change(EU_RULES_SINCE, 10) + daylight).replace(tzinfo=None)
    component.add_component(_observance(TimezoneDaylight, summer.tzname(), standard, daylight, to_summer,
                                        EU_SUMMER_RULE))
    component.add_component(_observance(TimezoneStandard, winter.tzname(), daylight, standard, to_winter,
                                        EU_WINTER_RULE))
    return component.to_ical()


def _observance(kind: type[Component], name: str | None, offset_from: timedelta, offset_to: timedelta,
                onset: datetime, rule: dict | None) -> Component:
    observance = kind()
    observance.add("dtstart", onset)
    if rule is not None:
        observance.add("rrule", rule)
    if name:
        observance.add("tzname", name)
    observance.add("tzoffsetfrom", offset_from)
    observance.add("tzoffsetto", offset_to)
    return observance


def vtimezone(tzid: str = "Europe/Stockholm") -> Timezone:
    """A fresh VTIMEZONE component for `tzid`, for every calendar object the bot writes."""
    return Timezone.from_ical(_vtimezone(tzid))


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
    calendar = _calendar(method, tzid)
    calendar.add_component(_event(
        meeting, {o.id: o for o in officials}, {o.id: o.name for o in organisations}, participants,
        cancelled=method == "CANCEL" or meeting.state == MeetingState.CANCELLED, sequence=sequence, lang=lang,
        summary=summary, description=description, now=now, organizer=organizer, tzid=tzid,
    ))
    return calendar.to_ical()


@dataclass(frozen=True)
class FeedItem:
    """One meeting in a calendar feed, with its texts in the feed's language."""

    meeting: Meeting
    summary: str
    description: str
    cancelled: bool = False  # for the feed's owner: shown as STATUS:CANCELLED
    participants: tuple[Participant, ...] = ()


def feed_ics(
    items: Iterable[FeedItem],
    officials: Iterable[Official],
    organisations: Iterable[Organisation],
    *,
    name: str,
    lang: str,
    now: datetime,
    organizer: tuple[str, str] | None = None,
    tzid: str = "Europe/Stockholm",
) -> bytes:
    """A calendar to subscribe to (METHOD PUBLISH) named `name`: each meeting as in its invitations (same UID,
    its SEQUENCE), the cancelled ones with STATUS:CANCELLED."""
    by_id = {o.id: o for o in officials}
    org_names = {o.id: o.name for o in organisations}
    calendar = _calendar("PUBLISH", tzid)
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # Outlook and Google read this one
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for item in items:
        calendar.add_component(_event(
            item.meeting, by_id, org_names, item.participants,
            cancelled=item.cancelled or item.meeting.state == MeetingState.CANCELLED, sequence=item.meeting.sequence,
            lang=lang, summary=item.summary, description=item.description, now=now, organizer=organizer, tzid=tzid,
        ))
    return calendar.to_ical()


def _calendar(method: str, tzid: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(vtimezone(tzid))
    return calendar


def _event(
    meeting: Meeting,
    officials: dict[str, Official],
    org_names: dict[str, str],
    participants: Iterable[Participant],
    *,
    cancelled: bool,
    sequence: int,
    lang: str,
    summary: str,
    description: str,
    now: datetime,
    organizer: tuple[str, str] | None,
    tzid: str,
) -> Event:
    zone = ZoneInfo(tzid)
    states = {p.official_id: p.state for p in participants if p.meeting_id == meeting.id}
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
        official = officials.get(official_id)
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
    return event


def _cal_address(address: str, name: str) -> vCalAddress:
    # Channel addresses ("tg:123", "mx:@anna:example.org") are URIs of their own scheme; a client
    # cannot mail them, which is right: replies come through the bot.
    value = vCalAddress(address)
    value.params["CN"] = name
    return value
