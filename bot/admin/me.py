"""/admin/me: an official's own page (officials only; the official is the one linked to the signed-in chat
address). Their upcoming meetings, with yes and no to a pending one through the same `BookingService.respond`
as the chat's buttons and the e-mail links (a no brings a substitute or cancels with new times for the founder),
and their weekly availability and absences with the same checks as the coordinators' page and the chat.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from booking.model import MeetingNotFound, NotAllowed, Official, StaleVersion

from ..roles import OFFICIAL
from . import current_user, form, render, requires, see_other
from .meetings import meeting_views
from .officials import OfficialTimes, lang_of, not_found, notice_from_query

if TYPE_CHECKING:
    from ..app import App

PAGE = "/me"
# The meetings shown: from an hour ago (one going on now) to as far ahead as the chat's /agenda shows.
SHOWN_BEFORE = timedelta(hours=1)
SHOWN_AHEAD = timedelta(days=60)
ANSWERS = ("accepted", "confirmed", "already", "substituted", "no_substitute", "changed", "not_allowed")


class MyPage:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.times = OfficialTimes(app)
        self.texts = self.times.texts

    async def _official(self, request: web.Request) -> Official | None:
        user = current_user(request)
        assert user is not None
        official = await self.app.booking.official_by_address(user.address)
        return official if official is not None and official.active else None

    async def _page(self, request: web.Request, official: Official, status: int = 200,
                    week_texts: dict[int, str] | None = None, **extra: Any) -> web.Response:
        lang = lang_of(request)
        now = self.app.clock.now()
        meetings = await self.app.booking.agenda(official.id, now - SHOWN_BEFORE, now + SHOWN_AHEAD)
        views = await meeting_views(self.app, self.texts, meetings, lang, official_id=official.id)
        context = await self.times.context(official, lang, week_texts)
        context.update({"availability_problems": [], "absence_problem": None, "absence_first": "",
                        "absence_last": ""})
        context.update(extra)
        return render(request, "me_page.html", status=status, official=official, meetings=views, page=PAGE,
                      notice=notice_from_query(self.app, request, lang) or await self._answer_notice(request, official, lang),
                      **context)

    async def _answer_notice(self, request: web.Request, official: Official, lang: str) -> str | None:
        """What the last yes or no did, worded as in the chat (`BookingTexts.answered`); only about a meeting
        the official was asked to."""
        answer, ref = request.query.get("answer"), request.query.get("ref", "")
        if answer not in ANSWERS:
            return None
        if answer in ("changed", "not_allowed"):
            return self.app.catalogue.text(lang, f"admin.me.answer_{answer}")
        try:
            meeting = await self.app.booking.meeting(ref)
        except MeetingNotFound:
            return None
        if official.id not in {p.official_id for p in (await self.app.booking.details(meeting)).participants}:
            return None
        return await self.texts.answered(meeting, answer, lang)

    def _shower(self, request: web.Request, official: Official):
        async def show(status: int = 200, week_texts: dict[int, str] | None = None, **extra: Any) -> web.Response:
            return await self._page(request, official, status, week_texts, **extra)

        return show

    @requires(OFFICIAL)
    async def show(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.me.no_official")
        return await self._page(request, official)

    @requires(OFFICIAL)
    async def answer(self, request: web.Request) -> web.StreamResponse:
        """Yes or no to a meeting, for the version the page showed (a meeting changed since is not answered)."""
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.me.no_official")
        posted = await form(request)
        choice, version = posted.get("answer"), posted.get("version", "")
        if choice not in ("accept", "decline") or not version.isdigit():
            return not_found(request, "admin.me.meeting_not_found")
        user = current_user(request)
        assert user is not None
        try:
            meeting, outcome = await self.app.booking.respond(user.address, request.match_info["ref"],
                                                              accept=choice == "accept", version=int(version))
        except StaleVersion:
            raise see_other(request, f"{PAGE}?answer=changed#meetings")
        except MeetingNotFound:
            return not_found(request, "admin.me.meeting_not_found")
        except NotAllowed:
            raise see_other(request, f"{PAGE}?answer=not_allowed#meetings")
        raise see_other(request, f"{PAGE}?answer={outcome}&ref={meeting.ref}#meetings")

    @requires(OFFICIAL)
    async def availability(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.me.no_official")
        return await self.times.save_availability(request, official, PAGE, self._shower(request, official))

    @requires(OFFICIAL)
    async def absence(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.me.no_official")
        return await self.times.add_absence(request, official, PAGE, self._shower(request, official))

    @requires(OFFICIAL)
    async def remove_absence(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.me.no_official")
        return await self.times.remove_absence(request, official, PAGE)


def add_routes(admin_app: web.Application, app: "App") -> None:
    page = MyPage(app)
    admin_app.router.add_get("/me", page.show)
    admin_app.router.add_post("/me/meetings/{ref}/answer", page.answer)
    admin_app.router.add_post("/me/availability", page.availability)
    admin_app.router.add_post("/me/absences", page.absence)
    admin_app.router.add_post("/me/absences/{absence_id}/remove", page.remove_absence)
