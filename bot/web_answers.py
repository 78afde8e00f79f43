"""One-click answers from officials' e-mails: `GET /answer/<token>` shows the meeting and a button, and only
`POST` (pressing it) answers, through the same `BookingService.respond` as the chat's buttons.

Mail scanners (Outlook's Safe Links and the like) open every link in a mail, so opening changes nothing. A link
is signed for one official, one meeting, one version of it and one answer (bot/signing.py); an altered or expired
link, one for a meeting that is not the official's, an outdated version (the page says what changed, as the chat
does) and an answer given already each get a page that says so, and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from booking import repository as repo
from booking.model import MeetingNotFound, NotAllowed, Official, ParticipantState, StaleVersion

from .booking_texts import BookingTexts
from .html import paragraphs, render
from .signing import Answer, BadLink

if TYPE_CHECKING:
    from .app import App

ROUTE = "/answer/{token}"



@dataclass
class Page:
    text: str
    status: int = 200
    button: str | None = None  # the answer's label: the page asks for the press
    links: list[tuple[str, str]] = field(default_factory=list)


def add_routes(web_app: web.Application, app: "App") -> None:
    answers = WebAnswers(app)
    web_app.router.add_get(ROUTE, answers.show)
    web_app.router.add_post(ROUTE, answers.answer)


class WebAnswers:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.texts = BookingTexts(app)

    def t(self, lang: str, key: str, **params: object) -> str:
        return self.app.catalogue.text(lang, key, **params)

    async def show(self, request: web.Request) -> web.Response:
        """The meeting and the button; reads only."""
        found = await self._read(request)
        if isinstance(found, web.Response):
            return found
        answer, official = found
        page = await self._question(answer, official)
        return self._respond(request, official.lang, page)

    async def answer(self, request: web.Request) -> web.Response:
        found = await self._read(request)
        if isinstance(found, web.Response):
            return found
        answer, official = found
        lang = official.lang
        try:
            meeting, outcome = await self.app.booking.respond(None, answer.ref, answer.accept, answer.version,
                                                              official_id=official.id)
        except StaleVersion as stale:
            page = await self._outdated(stale, official)
        except MeetingNotFound:
            page = Page(self.t(lang, "booking.not_your_meeting"), 404)
        except NotAllowed:
            page = Page(self.t(lang, "booking.answer_not_allowed"))
        else:
            page = Page(await self.texts.answered(meeting, outcome, lang))
        return self._respond(request, lang, page)

    async def _read(self, request: web.Request) -> tuple[Answer, Official] | web.Response:
        """The token's answer and official, or the page saying the link is altered, expired or unknown."""
        lang = self.app.settings.default_lang
        try:
            answer = self.app.answer_links.read(request.match_info["token"], self.app.clock.now())
        except BadLink as exc:
            return self._respond(request, lang, Page(self.t(lang, f"mail.page_{exc.reason}"),
                                                     400 if exc.reason == "tampered" else 410))
        async with self.app.db.read() as conn:
            official = await repo.official_by_id(conn, answer.official_id)
        if official is None or not official.active:
            return self._respond(request, lang, Page(self.t(lang, "booking.not_your_meeting"), 404))
        return answer, official

    async def _question(self, answer: Answer, official: Official) -> Page:
        """What pressing would do, worked out without changing anything (mirrors `BookingService.respond`)."""
        lang = official.lang
        async with self.app.db.read() as conn:
            meeting = await repo.meeting_by_ref(conn, answer.ref)
            parts = {p.official_id: p for p in await repo.participants(conn, meeting.id)} if meeting else {}
            seen = await repo.meeting_version(conn, meeting.id, answer.version) if meeting else None
        mine = parts.get(official.id)
        if meeting is None or (mine is None and (seen is None or official.id not in seen.official_ids)):
            return Page(self.t(lang, "booking.not_your_meeting"), 404)
        if answer.version != meeting.sequence:
            return await self._outdated(StaleVersion(meeting, seen, str(mine.state) if mine else None), official)
        if mine is None or not meeting.active or meeting.start <= self.app.clock.now() \
                or mine.state == ParticipantState.DECLINED:
            return Page(self.t(lang, "booking.answer_not_allowed"))
        if answer.accept and mine.state == ParticipantState.ACCEPTED:
            return Page(self.t(lang, "booking.already_accepted", ref=meeting.ref))
        details = await self.app.booking.details(meeting)
        text = self.t(lang, "mail.page_question_accept" if answer.accept else "mail.page_question_decline",
                      ref=meeting.ref) + "\n\n" + self.texts.details_text(details, lang)
        return Page(text, button=self.t(lang, "booking.accept" if answer.accept else "booking.decline"))

    async def _outdated(self, stale: StaleVersion, official: Official) -> Page:
        """The chat's answer to an outdated press; its current buttons become fresh links."""
        reply = await self.texts.outdated(stale, official, official.lang)
        links = [link for b in reply.all_buttons() if (link := await self.app.mail.answer_link(official, b))]
        return Page(reply.text, 409, links=links)

    def _respond(self, request: web.Request, lang: str, page: Page) -> web.Response:
        """The page; its form (no action) posts to the address it was opened at, behind any proxy path."""
        html = render("answer.html", 
            lang=lang, title=self.t(lang, "mail.page_title"),
            paragraphs=paragraphs(page.text),
            button=page.button, press_hint=self.t(lang, "mail.page_press_hint"),
            links=page.links)
        # no-store and no-referrer (the token is in the address) come with every page of bot/web.py's server
        return web.Response(text=html, status=page.status, content_type="text/html", charset="utf-8")


__all__: list[Any] = ["add_routes", "WebAnswers"]
