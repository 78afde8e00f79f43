"""The booking domain as plain, frozen data: organisations, officials, availability, meetings, slots.

Every datetime is timezone-aware and normalised to UTC on construction. Weekly windows are
wall-clock times of week in Europe/Stockholm, because office hours are local ("09:00 on Mondays"
stays 09:00 across daylight-saving changes). Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Iterable


class BookingError(Exception):
    """Base of the booking domain's business errors; `code` names the reason for messages."""

    code = "booking_error"

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.code)
        self.details = details


class InvalidRequest(BookingError, ValueError):
    """The request or the data breaks a rule (bad times, too few officials, unknown topic, ...)."""

    code = "invalid_request"


class SlotTaken(BookingError):
    """The chosen time is no longer free for the chosen officials (someone else got there first)."""

    code = "slot_taken"


class TooManyMeetings(BookingError):
    """The founder already has the allowed number of upcoming meetings."""

    code = "too_many_meetings"


class MeetingNotFound(BookingError):
    """No meeting with that id or reference (or not visible to this user)."""

    code = "meeting_not_found"


class NotAllowed(BookingError):
    """The user may not do this to the meeting (not its founder or participant, or it is over)."""

    code = "not_allowed"


class SameTime(InvalidRequest):
    """A move to the time the meeting already has: nothing to change."""

    code = "same_time"


class StaleVersion(BookingError):
    """A button of an older version of the meeting was pressed; nothing was done.

    `meeting` is the meeting now, `seen` the version the pressed message showed (None when its history
    was not kept), `answer` the presser's participant state now (None when no longer asked)."""

    code = "stale_version"

    def __init__(self, meeting: "Meeting", seen: "MeetingVersion | None", answer: str | None = None) -> None:
        super().__init__(ref=meeting.ref)
        self.meeting = meeting
        self.seen = seen
        self.answer = answer


class MeetingState(StrEnum):
    PENDING = "pending"  # booked, waiting for the officials' answers
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class ParticipantState(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class NotifyVia(StrEnum):
    """Where an official is told about meetings: the chat address, the e-mail address, or both."""

    CHAT = "chat"
    EMAIL = "email"
    BOTH = "both"


MAIL_PREFIX = "mail"  # the notifier routes "mail:<e-mail address>" to the e-mail channel


class AvailabilityKind(StrEnum):
    ABSENCE = "absence"  # not available although a weekly window says so
    EXTRA = "extra"  # available although no weekly window says so


def utc(value: datetime) -> datetime:
    """`value` in UTC; naive datetimes are refused because their meaning is a guess."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidRequest("naive datetime", value=value.isoformat())
    return value.astimezone(timezone.utc)


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _check_span(obj: object) -> None:
    _set(obj, "start", utc(obj.start))  # type: ignore[attr-defined]
    _set(obj, "end", utc(obj.end))  # type: ignore[attr-defined]
    if obj.end <= obj.start:  # type: ignore[attr-defined]
        raise InvalidRequest("end must be after start")


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    authority_id: str  # knowledge authority id, e.g. "kommun", "arbetsformedlingen", "kommun-botkyrka"


@dataclass(frozen=True, slots=True)
class Official:
    id: str
    name: str
    organisation_id: str
    topics: frozenset[str] = frozenset()
    municipalities: frozenset[str] = frozenset()  # municipality names; empty = serves all
    address: str | None = None  # channel address for notifications: "tg:123", "mx:@a:b", "console:anna"
    lang: str = "sv"
    active: bool = True
    email: str | None = None  # e-mail address for invitations and reminders
    notify_via: str | None = None  # chat | email | both; None: whichever address they have (both when both)

    def __post_init__(self) -> None:
        # Accept any iterable from loaders, keep frozensets so officials stay hashable.
        _set(self, "topics", frozenset(self.topics))
        _set(self, "municipalities", frozenset(self.municipalities))
        if self.notify_via is not None:
            if self.notify_via not in set(NotifyVia):
                raise InvalidRequest("notify_via must be chat, email or both", notify_via=self.notify_via)
            _set(self, "notify_via", NotifyVia(self.notify_via))

    @property
    def notified_by(self) -> NotifyVia:
        """The way the official is told: as chosen, else whichever address they have (both when both)."""
        if self.notify_via is not None:
            return NotifyVia(self.notify_via)
        if self.email and not self.address:
            return NotifyVia.EMAIL
        return NotifyVia.BOTH if self.email else NotifyVia.CHAT

    @property
    def destinations(self) -> tuple[str, ...]:
        """The notifier addresses the official's notices and reminders go to (chat address, "mail:<e-mail>")."""
        via = self.notified_by
        found = []
        if via in (NotifyVia.CHAT, NotifyVia.BOTH) and self.address:
            found.append(self.address)
        if via in (NotifyVia.EMAIL, NotifyVia.BOTH) and self.email:
            found.append(f"{MAIL_PREFIX}:{self.email}")
        return tuple(found)

    def serves(self, municipality: str | None) -> bool:
        """Whether this official serves `municipality` (None or an empty list means no restriction)."""
        if not municipality or not self.municipalities:
            return True
        wanted = municipality.strip().casefold()
        return any(m.strip().casefold() == wanted for m in self.municipalities)

    def covered(self, topics: Iterable[str]) -> frozenset[str]:
        """The requested topics this official covers."""
        return self.topics.intersection(topics)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A recurring window of availability in local Stockholm time, e.g. Monday 09:00-12:00."""

    official_id: str
    weekday: int  # 0 = Monday ... 6 = Sunday
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidRequest("weekday must be 0 (Monday) to 6 (Sunday)", weekday=self.weekday)
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidRequest("window times are local wall-clock times without tzinfo")
        if self.end <= self.start:
            raise InvalidRequest("window end must be after start", start=str(self.start), end=str(self.end))


@dataclass(frozen=True, slots=True)
class AvailabilityException:
    """A dated change to an official's availability: an absence or extra time (UTC instants)."""

    official_id: str
    start: datetime
    end: datetime
    kind: str = AvailabilityKind.ABSENCE

    def __post_init__(self) -> None:
        _check_span(self)
        if self.kind not in (AvailabilityKind.ABSENCE, AvailabilityKind.EXTRA):
            raise InvalidRequest("kind must be 'absence' or 'extra'", kind=self.kind)
        _set(self, "kind", AvailabilityKind(self.kind))


@dataclass(frozen=True, slots=True)
class Meeting:
    id: str
    ref: str  # public reference shown to users, e.g. "K7Q2"
    founder_address: str
    start: datetime
    end: datetime
    place: str | None = None  # address or video link
    topics: tuple[str, ...] = ()
    municipality: str | None = None
    idea: str | None = None  # the founder's one line about their idea (personal data)
    state: str = MeetingState.PENDING
    official_ids: tuple[str, ...] = ()  # officials currently attending (not those who declined)
    sequence: int = 0  # calendar revision: raised on every change the attendees should see

    def __post_init__(self) -> None:
        _check_span(self)
        if self.sequence < 0:
            raise InvalidRequest("sequence must not be negative", sequence=self.sequence)
        _set(self, "topics", tuple(self.topics))
        _set(self, "official_ids", tuple(self.official_ids))
        if self.state not in set(MeetingState):
            raise InvalidRequest("unknown meeting state", state=self.state)
        _set(self, "state", MeetingState(self.state))

    @property
    def active(self) -> bool:
        """Whether the meeting still occupies its officials' time (not cancelled)."""
        return self.state != MeetingState.CANCELLED


@dataclass(frozen=True, slots=True)
class MeetingVersion:
    """A meeting as its messages showed it at one `sequence`: every button carries that number."""

    sequence: int
    start: datetime
    end: datetime
    state: str
    official_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_span(self)
        _set(self, "official_ids", tuple(self.official_ids))
        _set(self, "state", MeetingState(self.state))

    @classmethod
    def of(cls, meeting: Meeting) -> "MeetingVersion":
        return cls(meeting.sequence, meeting.start, meeting.end, meeting.state, meeting.official_ids)


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between a version someone saw and the meeting now."""

    old_start: datetime | None = None  # set when the time changed
    old_end: datetime | None = None
    left: tuple[str, ...] = ()  # officials no longer attending
    joined: tuple[str, ...] = ()  # officials attending now who were not then
    cancelled: bool = False

    @property
    def moved(self) -> bool:
        return self.old_start is not None


def changes_since(seen: MeetingVersion, now: Meeting) -> Changes:
    moved = (seen.start, seen.end) != (now.start, now.end)
    return Changes(
        old_start=seen.start if moved else None,
        old_end=seen.end if moved else None,
        left=tuple(i for i in seen.official_ids if i not in now.official_ids),
        joined=tuple(i for i in now.official_ids if i not in seen.official_ids),
        cancelled=not now.active and seen.state != MeetingState.CANCELLED,
    )


@dataclass(frozen=True, slots=True)
class Participant:
    meeting_id: str
    official_id: str
    state: str = ParticipantState.INVITED

    def __post_init__(self) -> None:
        if self.state not in set(ParticipantState):
            raise InvalidRequest("unknown participant state", state=self.state)
        _set(self, "state", ParticipantState(self.state))


@dataclass(frozen=True, slots=True)
class Slot:
    """A candidate meeting time with the officials chosen for it."""

    start: datetime
    end: datetime
    officials: tuple[Official, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_span(self)
        _set(self, "officials", tuple(self.officials))

    @property
    def official_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.officials)

    @property
    def organisation_ids(self) -> frozenset[str]:
        return frozenset(o.organisation_id for o in self.officials)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start
