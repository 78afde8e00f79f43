"""The booking service: offers times, books atomically, handles answers, cancels and moves.

Every change runs in one write transaction that first re-reads what it depends on, so two founders
racing for the same official can never both get them. What people must be told is returned as
`Notice`s and handed to `on_notices` after the commit; rendering and sending is the caller's job.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Mapping, Sequence

from . import repository as repo
from .model import (
    InvalidRequest,
    Meeting,
    MeetingNotFound,
    MeetingState,
    NotAllowed,
    Official,
    Organisation,
    Participant,
    ParticipantState,
    SameTime,
    Slot,
    StaleVersion,
    utc,
)
from .busy_service import CONFIRM_TIMEOUT, BusyService
from .officials_service import Absence, AbsenceEffect, check_spans
from .rules import BookingRules
from .slots import check_slot, find_slots, find_substitute, nearest_slots, upcoming_for_founder

log = logging.getLogger(__name__)

REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
IDEA_MAX_CHARS = 300
# A wished time is answered from the free slots starting this long before it, this many of them.
NEAR_BEFORE = timedelta(hours=4)
NEAR_CANDIDATES = 48


@dataclass(frozen=True)
class Notice:
    """Something a person must be told about a meeting.

    event: invited | moved | confirmed | substituted | changed | no_substitute | cancelled | removed
    ("cancelled" to a founder, official_id None: a coordinator cancelled their meeting);
    recipient: the address to tell; official_id set when the recipient is an official;
    about: the official the event concerns (who declined, who substitutes);
    data: for "moved" the old time (old_start, old_end) and the official's answer to it (answer).
    """

    event: str
    recipient: str
    meeting: Meeting
    official_id: str | None = None
    about: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


NoticeSink = Callable[[list[Notice]], Awaitable[None]]


@dataclass(frozen=True)
class MeetingDetails:
    meeting: Meeting
    officials: list[Official]  # attending (not declined), in invitation order
    organisations: dict[str, Organisation]
    participants: list[Participant]
    lang: str
    share_guide: bool


class BookingService:
    def __init__(
        self,
        db: Any,
        clock: Any,
        rules: BookingRules,
        on_notices: NoticeSink | None = None,
        on_change: Callable[[], None] | None = None,
        busy: BusyService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.on_notices = on_notices
        self.on_change = on_change  # e.g. the reminder scheduler re-deriving its jobs
        self.busy = busy  # the officials' own calendars (read again for the chosen officials just before booking)

    # --- reading ----------------------------------------------------------------------------

    async def _snapshot_in(self, conn: Any, now: datetime) -> repo.Snapshot:
        snap = await repo.snapshot(conn, now)
        if self.busy is None:
            return snap
        return replace(snap, busy=await self.busy.current(conn))

    async def _refresh_calendars(self, official_ids: Sequence[str]) -> None:
        """Read the chosen officials' calendars again just before booking them (a failure keeps the last known)."""
        if self.busy is not None:
            await self.busy.refresh(official_ids, timeout=CONFIRM_TIMEOUT)

    async def snapshot(self) -> repo.Snapshot:
        async with self.db.read() as conn:
            return await self._snapshot_in(conn, self.clock.now())

    async def offer(
        self,
        topics: Sequence[str],
        municipality: str | None,
        *,
        after: datetime | None = None,
        limit: int = 5,
        ignore_meeting_id: str | None = None,
        exclude_officials: Sequence[str] = (),
    ) -> list[Slot]:
        """Bookable times, earliest first, at most two per day so the founder sees a few days."""
        now = self.clock.now()
        snap = await self.snapshot()
        return find_slots(
            officials=[o for o in snap.officials if o.active], windows=snap.windows, exceptions=snap.exceptions,
            meetings=snap.meetings, rules=self.rules, now=now, topics=topics, municipality=municipality,
            limit=limit, after=after, ignore_meeting_id=ignore_meeting_id, per_day=2,
            exclude_officials=exclude_officials, busy=snap.busy,
        )

    async def offer_near(
        self, topics: Sequence[str], municipality: str | None, start: datetime, end: datetime, *,
        limit: int = 4, ignore_meeting_id: str | None = None,
    ) -> list[Slot]:
        """Bookable times closest to a wished window ("imorgon kl 10", "på fredag förmiddag"), earliest first."""
        now = self.clock.now()
        snap = await self.snapshot()
        found = find_slots(
            officials=[o for o in snap.officials if o.active], windows=snap.windows, exceptions=snap.exceptions,
            meetings=snap.meetings, rules=self.rules, now=now, topics=topics, municipality=municipality,
            limit=NEAR_CANDIDATES, after=utc(start) - NEAR_BEFORE, ignore_meeting_id=ignore_meeting_id, busy=snap.busy,
        )
        return nearest_slots(found, utc(start), utc(end), limit)

    async def slot_at(
        self, start: datetime, topics: Sequence[str], municipality: str | None, ignore_meeting_id: str | None = None
    ) -> Slot | None:
        """The slot starting exactly at `start` with the officials the finder picks now, or None."""
        now = self.clock.now()
        snap = await self.snapshot()
        found = find_slots(
            officials=[o for o in snap.officials if o.active], windows=snap.windows, exceptions=snap.exceptions,
            meetings=snap.meetings, rules=self.rules, now=now, topics=topics, municipality=municipality,
            limit=1, after=utc(start) - timedelta(seconds=1), ignore_meeting_id=ignore_meeting_id, busy=snap.busy,
        )
        return found[0] if found and found[0].start == utc(start) else None

    async def upcoming_for(self, founder_address: str) -> list[Meeting]:
        now = self.clock.now()
        async with self.db.read() as conn:
            meetings = await repo.founder_meetings(conn, founder_address)
        return [m for m in meetings if m.active and m.end > now]

    async def can_book_more(self, founder_address: str) -> bool:
        async with self.db.read() as conn:
            meetings = await repo.founder_meetings(conn, founder_address)
        return upcoming_for_founder(meetings, founder_address, self.clock.now()) < self.rules.max_upcoming_per_founder

    async def meeting(self, ref: str) -> Meeting:
        async with self.db.read() as conn:
            found = await repo.meeting_by_ref(conn, ref)
        if found is None:
            raise MeetingNotFound(ref=ref)
        return found

    async def details(self, meeting: Meeting) -> MeetingDetails:
        async with self.db.read() as conn:
            officials = {o.id: o for o in await repo.officials(conn)}
            extra = await repo.meeting_extra(conn, meeting.id)
            return MeetingDetails(
                meeting=meeting,
                officials=[officials[i] for i in meeting.official_ids if i in officials],
                organisations=await repo.organisations(conn),
                participants=await repo.participants(conn, meeting.id),
                lang=extra.get("lang", "sv"),
                share_guide=bool(extra.get("share_guide")),
            )

    async def official_by_address(self, address: str) -> Official | None:
        async with self.db.read() as conn:
            return await repo.official_by_address(conn, address)

    async def is_official(self, address: str) -> bool:
        official = await self.official_by_address(address)
        return official is not None and official.active

    async def agenda(self, official_id: str, start: datetime, end: datetime) -> list[Meeting]:
        async with self.db.read() as conn:
            meetings = await repo.meetings_between(conn, start, end)
        return [m for m in meetings if official_id in m.official_ids]

    # --- changing ---------------------------------------------------------------------------

    async def book(
        self,
        founder_address: str,
        slot: Slot,
        topics: Sequence[str],
        municipality: str | None,
        idea: str | None,
        lang: str = "sv",
        share_guide: bool = False,
    ) -> Meeting:
        """Book `slot` for the founder. Raises SlotTaken (offer fresh times), TooManyMeetings or
        InvalidRequest; on success the officials are invited (notices) and the meeting is pending."""
        if idea is not None and len(idea) > IDEA_MAX_CHARS:
            raise InvalidRequest("idea too long", max=IDEA_MAX_CHARS)
        await self._refresh_calendars(slot.official_ids)
        async with self.db.transaction() as conn:
            now = self.clock.now()
            snap = await self._snapshot_in(conn, now)
            check_slot(
                slot, officials=snap.officials, windows=snap.windows, exceptions=snap.exceptions,
                meetings=snap.meetings, rules=self.rules, now=now, topics=topics, municipality=municipality,
                founder_address=founder_address, busy=snap.busy,
            )
            ref = await self._new_ref(conn)
            place_template = None
            for official_id in slot.official_ids:
                official = snap.official(official_id)
                place_template = official and await repo.organisation_place(conn, official.organisation_id)
                if place_template:
                    break
            meeting = Meeting(
                id=uuid.uuid4().hex, ref=ref, founder_address=founder_address, start=slot.start, end=slot.end,
                place=place_template.replace("{ref}", ref) if place_template else None, topics=tuple(topics),
                municipality=municipality, idea=idea or None, official_ids=slot.official_ids,
            )
            await repo.insert_meeting(conn, meeting, lang, share_guide, now)
        await self._tell([n for o in self._attending(snap, meeting) for n in self._official_notices("invited", meeting, o)])
        return meeting

    async def respond(
        self, official_address: str | None, ref: str, accept: bool, version: int | None = None, *,
        official_id: str | None = None,
    ) -> tuple[Meeting, str]:
        """An official (by chat address, or by `official_id` for an answer from a signed e-mail link) accepts or
        declines. Returns the meeting after the change and what happened:
        accepted | confirmed | already | substituted | no_substitute.

        `version` is the meeting version the pressed message showed (None: whatever is current). A press on
        an older version changes nothing and raises StaleVersion, so an answer never lands on a meeting the
        official has not seen."""
        async with self.db.transaction() as conn:
            now = self.clock.now()
            if official_id is not None:
                official = await repo.official_by_id(conn, official_id)
            else:
                official = await repo.official_by_address(conn, official_address or "")
            meeting = await repo.meeting_by_ref(conn, ref)
            if official is None or meeting is None:
                raise MeetingNotFound(ref=ref)
            parts = {p.official_id: p for p in await repo.participants(conn, meeting.id)}
            mine = parts.get(official.id)
            if version is not None and version != meeting.sequence:
                seen = await repo.meeting_version(conn, meeting.id, version)
                if mine is None and (seen is None or official.id not in seen.official_ids):
                    raise MeetingNotFound(ref=ref)  # never theirs: indistinguishable from unknown
                raise StaleVersion(meeting, seen, str(mine.state) if mine else None)
            if mine is None:
                raise MeetingNotFound(ref=ref)  # not theirs: indistinguishable from unknown
            if not meeting.active or meeting.start <= now:
                raise NotAllowed("meeting is over or cancelled", ref=ref)
            if mine.state == ParticipantState.DECLINED:
                raise NotAllowed("already declined", ref=ref)
            notices: list[Notice] = []
            if accept:
                if mine.state == ParticipantState.ACCEPTED:
                    return meeting, "already"
                await repo.set_participant(conn, meeting.id, official.id, ParticipantState.ACCEPTED, now)
                others = [p for oid, p in parts.items() if oid != official.id and p.state != ParticipantState.DECLINED]
                outcome = "accepted"
                if all(p.state == ParticipantState.ACCEPTED for p in others):
                    await repo.update_meeting(conn, meeting.id, now, state=str(MeetingState.CONFIRMED))
                    meeting = replace(meeting, state=MeetingState.CONFIRMED)
                    notices.append(Notice("confirmed", meeting.founder_address, meeting))
                    outcome = "confirmed"
            else:
                meeting, outcome, notices = await self._decline_in(conn, meeting, official, parts, now)
        await self._tell(notices)
        return meeting, outcome

    async def _decline_in(
        self, conn: Any, meeting: Meeting, official: Official, parts: dict[str, Participant], now: datetime
    ) -> tuple[Meeting, str, list[Notice]]:
        """`official` drops out of `meeting` inside the caller's transaction: a substitute is invited, or
        the meeting is cancelled when nobody can keep it valid. Returns the meeting, the outcome, the notices."""
        snap = await self._snapshot_in(conn, now)
        declined = [oid for oid, p in parts.items() if p.state == ParticipantState.DECLINED]
        substitute = find_substitute(
            meeting, official.id, officials=[o for o in snap.officials if o.active], windows=snap.windows,
            exceptions=snap.exceptions, meetings=snap.meetings, rules=self.rules, now=now, exclude=declined,
            busy=snap.busy,
        )
        await repo.set_participant(conn, meeting.id, official.id, ParticipantState.DECLINED, now)
        remaining = tuple(i for i in meeting.official_ids if i != official.id)
        notices: list[Notice] = []
        if substitute is not None:
            await repo.set_participant(conn, meeting.id, substitute.id, ParticipantState.INVITED, now)
            meeting = replace(
                meeting, official_ids=remaining + (substitute.id,), sequence=meeting.sequence + 1,
                state=MeetingState.PENDING,
            )
            await repo.update_meeting(conn, meeting.id, now, sequence=meeting.sequence, state=str(meeting.state))
            await repo.record_version(conn, meeting, now)
            notices += self._official_notices("invited", meeting, substitute)
            notices.append(Notice("substituted", meeting.founder_address, meeting, about=substitute.id,
                                  data={"declined": official.id}))
            for oid in remaining:
                other = snap.official(oid)
                if other:
                    notices += self._official_notices("changed", meeting, other, about=substitute.id,
                                                      data={"declined": official.id})
            return meeting, "substituted", notices
        meeting = replace(meeting, official_ids=remaining, state=MeetingState.CANCELLED, sequence=meeting.sequence + 1)
        await repo.update_meeting(conn, meeting.id, now, sequence=meeting.sequence, state=str(meeting.state))
        await repo.record_version(conn, meeting, now)
        notices.append(Notice("no_substitute", meeting.founder_address, meeting, about=official.id))
        for oid in remaining:
            other = snap.official(oid)
            if other:
                notices += self._official_notices("cancelled", meeting, other)
        return meeting, "no_substitute", notices

    async def cancel(self, ref: str, founder_address: str, version: int | None = None) -> Meeting:
        """The founder cancels their meeting; the officials are told. With `version` (what the founder
        was shown when asked), a meeting changed since raises StaleVersion and stays."""
        async with self.db.transaction() as conn:
            now = self.clock.now()
            meeting = await self._founders_meeting(conn, ref, founder_address, now)
            if version is not None and version != meeting.sequence:
                raise StaleVersion(meeting, await repo.meeting_version(conn, meeting.id, version))
            meeting, notices = await self._cancel_in(conn, meeting, now)
        await self._tell(notices)
        return meeting

    async def cancel_by_coordinator(self, ref: str, version: int | None = None) -> Meeting:
        """A coordinator cancels a meeting: the officials are told as when the founder cancels, and the founder
        gets a "cancelled" notice (official_id None) with new times. With `version` (what the coordinator was
        shown), a meeting changed since raises StaleVersion and stays."""
        async with self.db.transaction() as conn:
            now = self.clock.now()
            meeting = await repo.meeting_by_ref(conn, ref)
            if meeting is None:
                raise MeetingNotFound(ref=ref)
            if not meeting.active or meeting.start <= now:
                raise NotAllowed("meeting is over or cancelled", ref=ref)
            if version is not None and version != meeting.sequence:
                raise StaleVersion(meeting, await repo.meeting_version(conn, meeting.id, version))
            meeting, notices = await self._cancel_in(conn, meeting, now)
        await self._tell([Notice("cancelled", meeting.founder_address, meeting), *notices])
        return meeting

    async def _cancel_in(self, conn: Any, meeting: Meeting, now: datetime) -> tuple[Meeting, list[Notice]]:
        meeting = replace(meeting, state=MeetingState.CANCELLED, sequence=meeting.sequence + 1)
        await repo.update_meeting(conn, meeting.id, now, state=str(meeting.state), sequence=meeting.sequence)
        await repo.record_version(conn, meeting, now)
        officials = {o.id: o for o in await repo.officials(conn)}
        notices = [n for i in meeting.official_ids if i in officials
                   for n in self._official_notices("cancelled", meeting, officials[i])]
        return meeting, notices

    async def move(self, ref: str, founder_address: str, slot: Slot) -> Meeting:
        """Move the founder's meeting to `slot`. Raises SameTime when it already starts then (nothing
        changes, nobody is told).

        Policy: a new time must be confirmed again. Every official of the new slot is asked (state
        'invited', the meeting 'pending' until all have said yes, then the founder hears it is
        confirmed), because a yes to the old time says nothing about the new one and the founder must
        never see "confirmed" for a time an official has not seen. Officials who had already been asked
        get one "moved" message (old and new time, whether they had said yes) with the new version's
        buttons, not a new request; officials new to the meeting get a request; those no longer needed
        are told they are free."""
        await self._refresh_calendars(slot.official_ids)
        async with self.db.transaction() as conn:
            now = self.clock.now()
            meeting = await self._founders_meeting(conn, ref, founder_address, now)
            if utc(slot.start) == meeting.start:
                raise SameTime(ref=ref)
            snap = await self._snapshot_in(conn, now)
            check_slot(
                slot, officials=snap.officials, windows=snap.windows, exceptions=snap.exceptions,
                meetings=snap.meetings, rules=self.rules, now=now, topics=meeting.topics,
                municipality=meeting.municipality, founder_address=founder_address, ignore_meeting_id=meeting.id,
                busy=snap.busy,
            )
            asked = {p.official_id: p.state for p in await repo.participants(conn, meeting.id)}
            dropped = [i for i in meeting.official_ids if i not in slot.official_ids]
            moved = replace(
                meeting, start=slot.start, end=slot.end, official_ids=slot.official_ids,
                state=MeetingState.PENDING, sequence=meeting.sequence + 1,
            )
            await repo.update_meeting(
                conn, meeting.id, now, start=moved.start, end=moved.end, state=str(moved.state),
                sequence=moved.sequence, scheduled_at=utc(now).isoformat(),
            )
            await conn.execute(
                "DELETE FROM participants WHERE meeting_id = ? AND state != 'declined'", (meeting.id,)
            )
            for official_id in slot.official_ids:
                await repo.set_participant(conn, meeting.id, official_id, ParticipantState.INVITED, now)
            await repo.record_version(conn, moved, now)
        notices = []
        for official in self._attending(snap, moved):
            if official.id in asked:
                notices += self._official_notices("moved", moved, official, data={
                    "old_start": meeting.start, "old_end": meeting.end, "answer": str(asked[official.id])})
            else:
                notices += self._official_notices("invited", moved, official)
        notices += [n for o in snap.officials if o.id in dropped for n in self._official_notices("removed", moved, o)]
        await self._tell(notices)
        return moved

    async def _founders_meeting(self, conn: Any, ref: str, founder_address: str, now: datetime) -> Meeting:
        meeting = await repo.meeting_by_ref(conn, ref)
        if meeting is None or meeting.founder_address != founder_address:
            raise MeetingNotFound(ref=ref)  # someone else's meeting looks exactly like an unknown one
        if not meeting.active or meeting.start <= now:
            raise NotAllowed("meeting is over or cancelled", ref=ref)
        return meeting

    async def add_absence(self, official_id: str, start: datetime, end: datetime) -> list[tuple[Meeting, str]]:
        """Record an absence and handle each of the official's upcoming meetings in it as a decline
        (substitute or cancellation), all in one transaction; everyone is told after the commit."""
        async with self.db.transaction() as conn:
            results, notices = await self._absence_in(conn, official_id, start, end)
        await self._tell(notices)
        return results

    async def absence_effects(self, official_id: str, start: datetime, end: datetime) -> list[AbsenceEffect]:
        """What `add_absence` would do to the official's booked meetings now, changing nothing and telling nobody:
        the same steps run in a transaction that is rolled back."""

        class DryRun(Exception):
            pass

        found: list[tuple[Meeting, str]] = []
        try:
            async with self.db.transaction() as conn:
                found, _ = await self._absence_in(conn, official_id, start, end)
                raise DryRun
        except DryRun:
            pass
        return [AbsenceEffect(m.ref, m.start, m.end, outcome,
                              m.official_ids[-1] if outcome == "substituted" and m.official_ids else None)
                for m, outcome in found]

    async def _absence_in(self, conn: Any, official_id: str, start: datetime, end: datetime
                          ) -> tuple[list[tuple[Meeting, str]], list[Notice]]:
        start, end = utc(start), utc(end)
        if end <= start:
            raise InvalidRequest("end must be after start")
        results: list[tuple[Meeting, str]] = []
        notices: list[Notice] = []
        now = self.clock.now()
        official = await repo.official_by_id(conn, official_id)
        if official is None:
            raise InvalidRequest("unknown official", official_id=official_id)
        await conn.execute(
            "INSERT INTO availability_exceptions(official_id, start_utc, end_utc, kind) VALUES (?, ?, ?, 'absence')",
            (official_id, start.isoformat(), end.isoformat()),
        )
        for meeting in await repo.meetings_between(conn, start - timedelta(days=1), end):
            if official_id not in meeting.official_ids or not (meeting.start < end and meeting.end > start):
                continue
            if meeting.start <= now:
                continue
            # Each decline reads the bookings afresh: a substitute found for one meeting is busy for the next.
            parts = {p.official_id: p for p in await repo.participants(conn, meeting.id)}
            meeting, outcome, told = await self._decline_in(conn, meeting, official, parts, now)
            results.append((meeting, outcome))
            notices += told
        return results, notices

    async def absences_of(self, official_id: str) -> list[Absence]:
        """The official's absences that have not ended yet, earliest first."""
        async with self.db.read() as conn:
            async with conn.execute(
                "SELECT id, start_utc, end_utc FROM availability_exceptions"
                " WHERE official_id = ? AND kind = 'absence' AND end_utc > ? ORDER BY start_utc, id",
                (official_id, utc(self.clock.now()).isoformat()),
            ) as cur:
                rows = await cur.fetchall()
        return [Absence(r["id"], official_id, datetime.fromisoformat(r["start_utc"]), datetime.fromisoformat(r["end_utc"]))
                for r in rows]

    async def remove_absence(self, official_id: str, absence_id: int) -> bool:
        """Remove one of the official's absences (whether it was theirs is checked); meetings handled when it was
        added stay as they are. False when there was no such absence."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM availability_exceptions WHERE id = ? AND official_id = ? AND kind = 'absence'",
                (absence_id, official_id),
            )
            removed = cur.rowcount > 0
        if removed:
            self._changed()
        return removed

    async def windows_of(self, official_id: str) -> list[Any]:
        async with self.db.read() as conn:
            return [w for w in await repo.windows(conn) if w.official_id == official_id]

    async def set_day_windows(self, official_id: str, weekday: int, spans: Sequence[tuple[Any, Any]]) -> None:
        """Replace an official's weekly windows on one weekday (local times); booked meetings stay."""
        await self.set_week_windows(official_id, {weekday: spans})

    async def set_week_windows(self, official_id: str, week: Mapping[int, Sequence[tuple[Any, Any]]]) -> None:
        """Replace an official's weekly windows on each weekday in `week` (local times), all or nothing;
        booked meetings stay. Raises TimesProblem (booking/officials_service.py) for backwards or overlapping spans."""
        from .model import WeeklyWindow

        days = {}
        for weekday, spans in week.items():
            check_spans(spans, weekday)
            days[weekday] = sorted((WeeklyWindow(official_id, weekday, start, end) for start, end in spans),  # validates
                                   key=lambda w: w.start)
        async with self.db.transaction() as conn:
            for weekday, windows in days.items():
                await conn.execute("DELETE FROM weekly_windows WHERE official_id = ? AND weekday = ?",
                                   (official_id, weekday))
                for w in windows:
                    await conn.execute(
                        "INSERT INTO weekly_windows(official_id, weekday, start_local, end_local) VALUES (?, ?, ?, ?)",
                        (official_id, weekday, w.start.strftime("%H:%M"), w.end.strftime("%H:%M")),
                    )
        self._changed()

    # --- linking chat accounts (invite codes live in bot/roles.py) ------------------------------

    @staticmethod
    async def official_exists(conn: Any, official_id: str) -> bool:
        async with conn.execute("SELECT 1 FROM officials WHERE id = ?", (official_id,)) as cur:
            return await cur.fetchone() is not None

    async def link_official(self, conn: Any, official_id: str, address: str) -> None:
        """Inside the caller's transaction: `address` becomes the official's (whoever had it is unlinked)."""
        await conn.execute("UPDATE officials SET address = NULL WHERE address = ?", (address,))
        await conn.execute("UPDATE officials SET address = ? WHERE id = ?", (address, official_id))

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _attending(snap: repo.Snapshot, meeting: Meeting) -> list[Official]:
        return [o for o in snap.officials if o.id in meeting.official_ids]

    @staticmethod
    def _official_notices(event: str, meeting: Meeting, official: Official, about: str | None = None,
                          data: dict[str, Any] | None = None) -> list[Notice]:
        """The notice to each address the official is told at (chat, e-mail or both: `Official.destinations`)."""
        return [Notice(event, address, meeting, official_id=official.id, about=about, data=dict(data or {}))
                for address in official.destinations]

    async def _new_ref(self, conn: Any) -> str:
        for _ in range(100):
            ref = "".join(secrets.choice(REF_ALPHABET) for _ in range(5))
            async with conn.execute("SELECT 1 FROM meetings WHERE ref = ?", (ref,)) as cur:
                if await cur.fetchone() is None:
                    return ref
        raise RuntimeError("no free meeting reference")

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    async def _tell(self, notices: list[Notice]) -> None:
        self._changed()
        notices = [n for n in notices if n.recipient]
        if notices and self.on_notices is not None:
            try:
                await self.on_notices(notices)
            except Exception:  # the change is committed; a failed message must not undo it for the caller
                log.exception("sending %d booking notices failed", len(notices))
