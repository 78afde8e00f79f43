"""Officials' own calendars in the running bot: the refresh job on the app's scheduler, and the question to an
official whose booked meeting has become busy in their calendar.

Every REFRESH_MINUTES the busy times of every official with a calendar source are read again
(booking/busy_service.py); then each upcoming meeting that overlaps an attending official's busy times gets one
message to that official (once per meeting version): the meeting, and the buttons of an invitation, so a "no"
is a decline exactly as in the chat (a substitute is found, or the meeting is cancelled and the founder offered
new times). An official who had already said yes only gets the "no" button: nothing is needed if they come.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Mapping

from apscheduler.triggers.interval import IntervalTrigger

from booking.busy_service import REFRESH_MINUTES
from booking.calendar_sources import CalendarSource, load_sources
from booking.model import ParticipantState

from .messages import Reply
from .runner import redact_in_logs

if TYPE_CHECKING:
    from .app import App
    from .booking_texts import BookingTexts

log = logging.getLogger(__name__)

JOB_ID = "calendars-refresh"


def sources_loader(app: "App"):
    """Reads the credentials file at each refresh (so `officials calendar` changes count at once); every address
    and password read is also kept out of the logs by the runner's filter."""

    def load() -> Mapping[str, CalendarSource]:
        sources = load_sources(app.settings.calendars_path())
        for source in sources.values():
            redact_in_logs(source.url)
            redact_in_logs(source.fetch_url())
            redact_in_logs(source.secret_password())
        return sources

    return load


class CalendarJobs:
    def __init__(self, app: "App", texts: "BookingTexts") -> None:
        self.app = app
        self.texts = texts

    async def run_due(self) -> int:
        """Refresh every calendar, then ask the officials whose meetings became busy; returns how many were asked."""
        await self.app.busy.refresh()
        return await self.ask_about_conflicts()

    async def ask_about_conflicts(self) -> int:
        asked = 0
        officials = {o.id: o for o in (await self.app.booking.snapshot()).officials}
        for meeting, official_id, answer in await self.app.busy.conflicts():
            official = officials.get(official_id)
            if official is None or not official.destinations:
                continue
            lang = official.lang
            texts = self.texts
            details = await self.app.booking.details(meeting)
            accepted = answer == ParticipantState.ACCEPTED
            text = "\n".join([
                self.app.catalogue.text(lang, "calendars.conflict", ref=meeting.ref, time=texts.when(meeting, lang)),
                texts.details_text(details, lang), "",
                self.app.catalogue.text(lang, "calendars.conflict_" + ("accepted" if accepted else "question")),
            ])
            question = [Reply(text, buttons=texts.official_buttons(meeting, lang, accept=not accepted))]
            # Where the official is told (chat, e-mail or both): by mail the buttons become one-click links.
            sent = [await self.app.notifier.send(address, question) for address in official.destinations]
            asked += any(sent)
        return asked

    async def start(self) -> None:
        """Read the calendars now (in the background: a slow calendar must not hold up the start), then regularly."""
        self.app.scheduler.spawn(self.run_due(), "reading the officials' calendars")
        self.app.scheduler.add_job(JOB_ID, self.run_due, IntervalTrigger(minutes=REFRESH_MINUTES))

    async def stop(self) -> None:
        """Nothing to do: the scheduler, stopped first, drops the job."""
