"""Turns booking events into messages: notices to founders and officials, reminders, digests, .ics files.

The booking service says what happened (`booking.service.Notice`); this module words it in the
recipient's language and sends it through the notifier, so every channel gets the same messages.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Sequence

from booking.calendar import ics_filename, meeting_ics
from booking import repository as repo
from booking.model import Meeting, Official, ParticipantState, Slot, StaleVersion, changes_since
from booking.reminders import Digest, Due
from booking.service import MeetingDetails, Notice

from .formatting import format_clock, format_short, format_time_range
from .messages import Attachment, Button, Reply

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

ORGANIZER = ("console:dukat-bord", "Dukat bord")


def minutes(when: datetime) -> int:
    """A time as whole minutes since the epoch: compact enough for a button payload."""
    return int(when.timestamp()) // 60


class BookingTexts:
    def __init__(self, app: "App") -> None:
        self.app = app

    def t(self, lang: str, key: str, **params: object) -> str:
        return self.app.catalogue.text(lang, key, **params)

    @property
    def service(self):
        return self.app.booking

    def topics(self, topics: Sequence[str], lang: str) -> str:
        known = self.app.knowledge.current.topics
        return ", ".join(known[t].label.get(lang) if t in known else t for t in topics)

    def people(self, details: MeetingDetails | None, lang: str, officials=None, organisations=None) -> str:
        officials = officials if officials is not None else details.officials  # type: ignore[union-attr]
        organisations = organisations if organisations is not None else details.organisations  # type: ignore[union-attr]
        return ", ".join(
            self.t(lang, "booking.person", name=o.name,
                   organisation=organisations[o.organisation_id].name if o.organisation_id in organisations else "")
            for o in officials
        )

    def slot_people(self, slot: Slot, organisations: dict, lang: str) -> str:
        return self.people(None, lang, list(slot.officials), organisations)

    def when(self, meeting: Meeting, lang: str) -> str:
        return format_time_range(meeting.start, meeting.end, lang)

    def place(self, meeting: Meeting, lang: str) -> str:
        return meeting.place or self.t(lang, "booking.place_later")

    def calendar_texts(self, meeting: Meeting, lang: str) -> tuple[str, str]:
        """The summary and description of a meeting's calendar event (invitations and calendar feeds)."""
        return (self.t(lang, "booking.ics_summary", ref=meeting.ref),
                self.t(lang, "booking.ics_description", topics=self.topics(meeting.topics, lang),
                       place=self.place(meeting, lang)))

    def ics(self, details: MeetingDetails, lang: str, cancel: bool = False) -> Attachment:
        m = details.meeting
        summary, description = self.calendar_texts(m, lang)
        content = meeting_ics(
            m, details.officials, details.organisations.values(), "CANCEL" if cancel else "REQUEST", lang=lang,
            summary=summary, description=description,
            now=self.app.clock.now(), participants=details.participants, organizer=ORGANIZER,
        )
        return Attachment(ics_filename(m), content, "text/calendar")

    def official_buttons(self, meeting: Meeting, lang: str, accept: bool = True) -> list[list[Button]]:
        """Yes/no under a message about `meeting`: each carries the version the message shows."""
        version = f"{meeting.ref}:{meeting.sequence}"
        decline = Button(self.t(lang, "booking.decline"), f"mt:dec:{version}")
        if not accept:
            return [[decline]]
        return [[Button(self.t(lang, "booking.accept"), f"mt:acc:{version}"), decline]]

    def details_text(self, details: MeetingDetails, lang: str) -> str:
        m = details.meeting
        return self.t(
            lang, "officials.meeting_details", time=self.when(m, lang), topics=self.topics(m.topics, lang),
            municipality=m.municipality or self.t(lang, "booking.no_municipality"),
            idea=m.idea or self.t(lang, "booking.no_idea"), people=self.people(details, lang), place=self.place(m, lang),
        )

    async def invitation(self, details: MeetingDetails, lang: str, header: str | None = None,
                         question: str | None = None) -> Reply:
        """The request to an official: the meeting as it is now, with this version's buttons and .ics."""
        m = details.meeting
        text = (header or self.t(lang, "booking.official_invited", ref=m.ref)) + "\n" + self.details_text(details, lang)
        if details.share_guide:
            summary = await self.app.guide.summary(m.founder_address, lang)
            if summary:
                text += "\n\n" + self.t(lang, "booking.official_guide", summary=summary)
        text += "\n\n" + (question or self.t(lang, "booking.official_question"))
        return Reply(text, buttons=self.official_buttons(m, lang), attachments=[self.ics(details, lang)])

    async def outdated(self, stale: StaleVersion, official: Official, lang: str) -> Reply:
        """The answer to a press on an older version of a meeting: what changed since, then the meeting now
        with the current buttons (or that nothing is needed)."""
        m = stale.meeting
        details = await self.service.details(m)
        names = await self._names(details, lang)
        lines = [self.t(lang, "officials.outdated", ref=m.ref)]
        if stale.seen is None:
            lines.append(self.t(lang, "officials.change_unknown"))
        else:
            changes = changes_since(stale.seen, m)
            if changes.moved:
                lines.append(self.t(lang, "officials.change_time", time=self.when(m, lang),
                                    old_time=format_time_range(changes.old_start, changes.old_end, lang)))  # type: ignore[arg-type]
            left = [names(i) for i in changes.left if i != official.id]
            joined = [names(i) for i in changes.joined if i != official.id]
            if left:
                lines.append(self.t(lang, "officials.change_left", people=", ".join(left)))
            if joined:
                lines.append(self.t(lang, "officials.change_joined", people=", ".join(joined)))
            if changes.cancelled:
                lines.append(self.t(lang, "officials.change_cancelled"))
        if official.id not in m.official_ids and m.active:
            key = "officials.change_you_declined" if stale.answer == ParticipantState.DECLINED else "officials.change_you_left"
            lines.append(self.t(lang, key))
        if len(lines) == 1:
            lines.append(self.t(lang, "officials.change_unknown"))
        text = "\n".join(lines)
        if not m.active or official.id not in m.official_ids:
            return Reply(text + "\n\n" + self.t(lang, "officials.nothing_to_do"), replaces_pressed=True)
        if m.start <= self.app.clock.now():
            return Reply(text + "\n\n" + self.t(lang, "officials.over"), replaces_pressed=True)
        accepted = stale.answer == ParticipantState.ACCEPTED
        question = self.t(lang, "officials.now_accepted" if accepted else "booking.official_question")
        text += "\n\n" + self.t(lang, "officials.now") + "\n" + self.details_text(details, lang) + "\n\n" + question
        return Reply(text, buttons=self.official_buttons(m, lang, accept=not accepted), replaces_pressed=True)

    async def answered(self, meeting: Meeting, outcome: str, lang: str) -> str:
        """What an official is told after answering (`BookingService.respond`'s outcome), in chat or on the web."""
        ref = meeting.ref
        if outcome == "already":
            return self.t(lang, "booking.already_accepted", ref=ref)
        if outcome in ("accepted", "confirmed"):
            key = "booking.accepted_all" if outcome == "confirmed" else "booking.accepted"
            return self.t(lang, key, ref=ref, time=self.when(meeting, lang))
        if outcome == "substituted":
            details = await self.service.details(meeting)
            substitute = details.officials[-1]
            org = details.organisations.get(substitute.organisation_id)
            name = self.t(lang, "booking.person", name=substitute.name, organisation=org.name if org else "")
            return self.t(lang, "booking.declined_substituted", ref=ref, substitute=name)
        return self.t(lang, "booking.declined_no_substitute", ref=ref)

    async def _names(self, details: MeetingDetails, lang: str):
        by_id = {o.id: o for o in await self._officials()}

        def name(official_id: str | None) -> str:
            o = by_id.get(official_id or "")
            if o is None:
                return "?"
            org = details.organisations.get(o.organisation_id)
            return self.t(lang, "booking.person", name=o.name, organisation=org.name if org else "")

        return name

    async def render(self, notice: Notice) -> list[Reply]:
        details = await self.service.details(notice.meeting)
        m = notice.meeting
        if notice.official_id is not None:
            official = next((o for o in await self._officials() if o.id == notice.official_id), None)
            lang = official.lang if official else "sv"
        else:
            lang = details.lang
        name = await self._names(details, lang)

        when = self.when(m, lang)
        if notice.event == "invited":
            return [await self.invitation(details, lang)]
        if notice.event == "moved":
            header = self.t(lang, "officials.moved", ref=m.ref,
                            old_time=format_time_range(notice.data["old_start"], notice.data["old_end"], lang))
            accepted = notice.data.get("answer") == ParticipantState.ACCEPTED
            question = self.t(lang, "officials.moved_was_accepted") if accepted else None
            return [await self.invitation(details, lang, header=header, question=question)]
        if notice.event == "changed":
            declined = notice.data.get("declined")
            text = self.t(lang, "booking.official_changed", ref=m.ref, time=when, declined=name(declined),
                          substitute=name(notice.about))
            answer = next((p.state for p in details.participants if p.official_id == notice.official_id), None)
            if answer != ParticipantState.INVITED or not m.active:
                return [Reply(text, attachments=[self.ics(details, lang)])]
            # Not answered yet: the request's buttons are of the old version now, so the current ones come along.
            return [Reply(text + "\n\n" + self.t(lang, "officials.changed_question"),
                          buttons=self.official_buttons(m, lang), attachments=[self.ics(details, lang)])]
        if notice.event in ("cancelled", "removed") and notice.official_id is not None:
            key = "booking.official_cancelled" if notice.event == "cancelled" else "booking.official_removed"
            return [Reply(self.t(lang, key, ref=m.ref, time=when), attachments=[self.ics(details, lang, cancel=True)])]
        if notice.event == "confirmed":
            return [Reply(self.t(lang, "booking.founder_confirmed", ref=m.ref, time=when))]
        if notice.event == "substituted":
            return [Reply(self.t(lang, "booking.founder_substituted", ref=m.ref, time=when,
                                 declined=name(notice.data.get("declined")), substitute=name(notice.about)),
                          attachments=[self.ics(details, lang)])]
        if notice.event in ("no_substitute", "cancelled"):  # "cancelled" to a founder: a coordinator cancelled it
            key = "booking.founder_no_substitute" if notice.event == "no_substitute" else "booking.founder_cancelled_by_staff"
            slots = await self.service.offer(m.topics, m.municipality, limit=3, exclude_officials=[notice.about or ""])
            cancel_file = [self.ics(details, lang, cancel=True)]
            if not slots:
                return [Reply(self.t(lang, key + "_none", ref=m.ref, time=when, declined=name(notice.about)),
                              attachments=cancel_file)]
            buttons = [[Button(format_short(s.start, lang), f"bk:re:{m.ref}:{minutes(s.start)}")] for s in slots]
            return [Reply(self.t(lang, key, ref=m.ref, time=when, declined=name(notice.about)),
                          buttons=buttons, attachments=cancel_file)]
        log.warning("no wording for booking event %r", notice.event)
        return []

    async def _officials(self):
        snap = await self.service.snapshot()
        return snap.officials

    async def send_notices(self, notices: list[Notice]) -> None:
        for notice in notices:
            try:
                replies = await self.render(notice)
            except Exception:
                log.exception("could not word a %s notice", notice.event)
                continue
            if replies:
                if notice.official_id is not None:
                    await self._known_official(notice.recipient, notice.official_id)
                await self.app.notifier.send(notice.recipient, replies)

    async def _known_official(self, address: str, official_id: str) -> None:
        """The bot writes to an official first: from now on they are a known user in their own language, so
        their first press or message is not greeted as a newcomer founder's."""
        try:
            official = await self.service.official_by_address(address)
            if official is not None and official.id == official_id:
                await self.app.users.get_or_create(address, official.lang, self.app.clock.now())
        except Exception:  # the message matters more than the greeting
            log.exception("could not record an official as a known user")

    async def send_reminder(self, due: Due) -> bool:
        details = await self.service.details(due.meeting)
        lang = due.recipient.lang
        m = due.meeting
        text = self.t(lang, f"booking.reminder_{due.kind}", ref=m.ref, time=self.when(m, lang),
                      people=self.people(details, lang), place=self.place(m, lang))
        return await self.app.notifier.send(due.recipient.address, [Reply(text)])

    async def send_digest(self, digest: Digest) -> bool:
        """The official's meetings of `digest.day` as they are at the moment of sending: one moved away,
        cancelled or no longer theirs since the digest was put together is left out (nothing left: nothing sent)."""
        lang = digest.recipient.lang
        meetings = await self._still_on(digest)
        if not meetings:
            return True
        lines = [self.t(lang, "booking.digest_header")]
        for m in meetings:
            details = await self.service.details(m)
            lines.append(self.t(lang, "booking.digest_line", start=format_clock(m.start), end=format_clock(m.end), ref=m.ref,
                                topics=self.topics(m.topics, lang), people=self.people(details, lang),
                                place=self.place(m, lang)))
        return await self.app.notifier.send(digest.recipient.address, [Reply("\n".join(lines))])

    async def _still_on(self, digest: Digest) -> list[Meeting]:
        tz = self.service.rules.tz
        async with self.app.db.read() as conn:
            current = [await repo.meeting_by_ref(conn, m.ref) for m in digest.meetings]
        return sorted(
            (m for m in current
             if m is not None and m.active and m.start.astimezone(tz).date() == digest.day
             and (digest.recipient.official_id is None or digest.recipient.official_id in m.official_ids)),
            key=lambda m: m.start,
        )
