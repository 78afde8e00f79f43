"""/admin/officials: the officials (coordinators only), and one official's page: weekly availability, absences
and a one-time invite code.

Weekly times and absences are read and checked by booking/officials_service.py and changed through the booking
service, exactly as the chat's /tider and /franvaro do: an absence over booked meetings first shows what will
happen to each of them (a substitute, or cancelled with new times offered to the founder) and asks to confirm.
`OfficialTimes` does that for both this page and an official's own page (bot/admin/me.py).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from booking.model import Official
from booking.officials_service import (MAX_ABSENCE_DAYS, TimesProblem, absence_instants, absence_problem, parse_date,
                                       parse_week, spans_text)

from ..booking_texts import BookingTexts
from ..clock import STOCKHOLM
from ..formatting import format_date, format_time_range
from ..roles import COORDINATOR, OFFICIAL, UnknownSubject
from . import current_user, form, render, requires, see_other

if TYPE_CHECKING:
    from ..app import App

Renderer = Callable[..., Awaitable[web.Response]]


def lang_of(request: web.Request) -> str:
    user = current_user(request)
    assert user is not None
    return user.lang


def weekday_names(app: "App", lang: str) -> list[str]:
    return app.catalogue.text(lang, "time.weekdays").split(",")


def day_text(day: date, lang: str) -> str:
    """'tisdag 10 mars' for a local date."""
    return format_date(datetime.combine(day, time(12), STOCKHOLM), lang)


def problem_text(app: "App", lang: str, problem: TimesProblem) -> str:
    day = weekday_names(app, lang)[problem.weekday or 0]
    return app.catalogue.text(lang, f"admin.officials.times_{problem.reason}", day=day, span=problem.span)


def notice_from_query(app: "App", request: web.Request, lang: str) -> str | None:
    """The line confirming what the last form did (post/redirect/get carries it in the query)."""
    query = request.query
    t = lambda key, **params: app.catalogue.text(lang, key, **params)  # noqa: E731
    if query.get("saved") == "availability":
        return t("admin.officials.availability_saved")
    first, last = parse_date(query.get("first", "")), parse_date(query.get("last", ""))
    if query.get("absence") == "added" and first and last:  # only dates: a made-up link cannot put words here
        return t("admin.officials.absence_added", first=day_text(first, lang), last=day_text(last, lang),
                 substituted=_count(query.get("substituted")), cancelled=_count(query.get("cancelled")))
    if query.get("absence") == "removed":
        return t("admin.officials.absence_removed")
    return None


def not_found(request: web.Request, text_key: str) -> web.Response:
    return render(request, "message.html", status=404, title_key="admin.officials.not_found_title", text_key=text_key)


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


class OfficialTimes:
    """Weekly availability and absences of one official, for the coordinators' page of an official and the
    official's own page: what the page shows, and the three forms (availability, add absence, remove absence)."""

    def __init__(self, app: "App") -> None:
        self.app = app
        self.texts = BookingTexts(app)

    async def context(self, official: Official, lang: str, week_texts: dict[int, str] | None = None) -> dict[str, Any]:
        """The availability form's rows (posted values when given) and the absences, for the templates."""
        windows = await self.app.booking.windows_of(official.id)
        names = weekday_names(self.app, lang)
        days = []
        for weekday in range(7):
            spans = [(w.start, w.end) for w in windows if w.weekday == weekday]
            text = week_texts[weekday] if week_texts is not None else spans_text(spans)
            days.append({"weekday": weekday, "name": names[weekday], "text": text})
        absences = []
        for absence in await self.app.booking.absences_of(official.id):
            first, last = absence.days(STOCKHOLM)
            absences.append({"id": absence.id, "first": first.isoformat(), "last": last.isoformat(),
                             "text": self.app.catalogue.text(lang, "admin.officials.absence_span",
                                                             first=day_text(first, lang), last=day_text(last, lang))})
        return {"days": days, "absences": absences, "max_absence_days": MAX_ABSENCE_DAYS}

    async def save_availability(self, request: web.Request, official: Official, page: str,
                                show: Renderer) -> web.StreamResponse:
        """The week's spans from the form (day0…day6); every problem shown and nothing changed, or saved."""
        posted = await form(request)
        texts = {weekday: posted.get(f"day{weekday}", "") for weekday in range(7)}
        week, problems = parse_week(texts)
        if problems:
            lang = lang_of(request)
            return await show(status=400, week_texts=texts,
                              availability_problems=[problem_text(self.app, lang, p) for p in problems])
        await self.app.booking.set_week_windows(official.id, week)
        raise see_other(request, f"{page}?saved=availability#availability")

    async def add_absence(self, request: web.Request, official: Official, page: str,
                          show: Renderer) -> web.StreamResponse:
        """An absence from the form (first, last: whole days). Over booked meetings the first post shows what
        will happen to each and asks again (confirm=1); the second records it as the chat's /franvaro does."""
        posted = await form(request)
        lang = lang_of(request)
        first_text, last_text = posted.get("first", "").strip(), posted.get("last", "").strip()
        first = parse_date(first_text)
        last = parse_date(last_text) if last_text else first
        today = self.app.clock.now().astimezone(STOCKHOLM).date()
        problem = absence_problem(first, last, today)
        if problem:
            message = self.app.catalogue.text(lang, f"admin.officials.absence_{problem}", days=MAX_ABSENCE_DAYS)
            return await show(status=400, absence_problem=message, absence_first=first_text, absence_last=last_text)
        assert first is not None and last is not None
        start, end = absence_instants(first, last, STOCKHOLM)
        if posted.get("confirm") != "1":
            effects = await self.app.booking.absence_effects(official.id, start, end)
            if effects:
                names = {o.id: o.name for o in (await self.app.booking.snapshot()).officials}
                rows = [{"ref": e.meeting_ref, "time": format_time_range(e.start, e.end, lang),
                         "substitute": names.get(e.substitute_id or "", "") if e.outcome == "substituted" else None}
                        for e in effects]
                return render(request, "officials_absence_confirm.html", official=official, page=page,
                              first=first.isoformat(), last=last.isoformat(), effects=rows,
                              first_text=day_text(first, lang), last_text=day_text(last, lang))
        results = await self.app.booking.add_absence(official.id, start, end)
        substituted = sum(1 for _, outcome in results if outcome == "substituted")
        cancelled = sum(1 for _, outcome in results if outcome == "no_substitute")
        raise see_other(request, f"{page}?absence=added&first={first.isoformat()}&last={last.isoformat()}"
                                 f"&substituted={substituted}&cancelled={cancelled}#absences")

    async def remove_absence(self, request: web.Request, official: Official, page: str) -> web.StreamResponse:
        absence_id = request.match_info["absence_id"]
        if not absence_id.isdigit() or not await self.app.booking.remove_absence(official.id, int(absence_id)):
            return not_found(request, "admin.officials.absence_not_found")
        raise see_other(request, f"{page}?absence=removed#absences")


class OfficialsPages:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.times = OfficialTimes(app)
        self.texts = self.times.texts

    async def _official(self, request: web.Request) -> Official | None:
        official_id = request.match_info["official_id"]
        return next((o for o in (await self.app.booking.snapshot()).officials if o.id == official_id), None)

    def _calendars(self) -> dict[str, bool] | None:
        """Which officials have a calendar source (never its address); None when the credentials file is unreadable."""
        try:
            return {official_id: True for official_id in self.app.busy.sources()}
        except Exception:
            return None

    async def _calendar_text(self, official_id: str, lang: str) -> str:
        sources = self._calendars()
        if sources is None:
            return self.app.catalogue.text(lang, "admin.officials.calendar_unknown")
        if official_id not in sources:
            return self.app.catalogue.text(lang, "admin.officials.calendar_no")
        status = (await self.app.busy.statuses()).get(official_id)
        if status is not None and status.failing:
            return self.app.catalogue.text(lang, "admin.officials.calendar_failing")
        return self.app.catalogue.text(lang, "admin.officials.calendar_yes")

    @requires(COORDINATOR)
    async def list(self, request: web.Request) -> web.StreamResponse:
        from ..channels.mail_queue import undeliverable_addresses

        lang = lang_of(request)
        snap = await self.app.booking.snapshot()
        bounced = await undeliverable_addresses(self.app.db)
        rows = []
        for o in sorted(snap.officials, key=lambda o: (not o.active, o.name.casefold())):
            org = snap.organisations.get(o.organisation_id)
            rows.append({
                "id": o.id, "name": o.name, "organisation": org.name if org else o.organisation_id,
                "topics": self.texts.topics(sorted(o.topics), lang), "active": o.active, "address": o.address,
                "email": o.email, "bounces": bool(o.email and o.email.casefold() in bounced),
                "notify": self.app.catalogue.text(lang, f"admin.officials.notify_{o.notified_by}"),
                "calendar": await self._calendar_text(o.id, lang),
            })
        return render(request, "officials_list.html", officials=rows)

    async def _page(self, request: web.Request, official: Official, status: int = 200,
                    week_texts: dict[int, str] | None = None, **extra: Any) -> web.Response:
        lang = lang_of(request)
        snap = await self.app.booking.snapshot()
        org = snap.organisations.get(official.organisation_id)
        context = await self.times.context(official, lang, week_texts)
        context.update({"availability_problems": [], "absence_problem": None, "absence_first": "",
                        "absence_last": ""})
        context.update(extra)
        return render(request, "officials_page.html", status=status, official=official,
                      organisation=org.name if org else official.organisation_id,
                      topics=self.texts.topics(sorted(official.topics), lang),
                      notify=self.app.catalogue.text(lang, f"admin.officials.notify_{official.notified_by}"),
                      calendar=await self._calendar_text(official.id, lang),
                      page=f"/officials/{official.id}", notice=notice_from_query(self.app, request, lang), **context)

    @requires(COORDINATOR)
    async def show(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.officials.not_found")
        return await self._page(request, official)

    def _shower(self, request: web.Request, official: Official) -> Renderer:
        async def show(status: int = 200, week_texts: dict[int, str] | None = None, **extra: Any) -> web.Response:
            return await self._page(request, official, status, week_texts, **extra)

        return show

    @requires(COORDINATOR)
    async def availability(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.officials.not_found")
        return await self.times.save_availability(request, official, f"/officials/{official.id}",
                                                  self._shower(request, official))

    @requires(COORDINATOR)
    async def absence(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.officials.not_found")
        return await self.times.add_absence(request, official, f"/officials/{official.id}",
                                            self._shower(request, official))

    @requires(COORDINATOR)
    async def remove_absence(self, request: web.Request) -> web.StreamResponse:
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.officials.not_found")
        return await self.times.remove_absence(request, official, f"/officials/{official.id}")

    @requires(COORDINATOR)
    async def invite(self, request: web.Request) -> web.StreamResponse:
        """A one-time code linking a chat account to the official: the same as `dukat-bord officials invite`,
        shown on this answer only (nothing keeps it for a later page)."""
        official = await self._official(request)
        if official is None:
            return not_found(request, "admin.officials.not_found")
        try:
            code = await self.app.roles.create_invite(OFFICIAL, subject=official.id)
        except UnknownSubject:
            return not_found(request, "admin.officials.not_found")
        username = self.app.settings.telegram_bot_username
        response = render(request, "officials_invite.html", official=official, code=code,
                          command=f"/start inv_{code}",
                          telegram_link=f"https://t.me/{username}?start=inv_{code}" if username else None)
        response.headers["Cache-Control"] = "no-store"
        return response


def add_routes(admin_app: web.Application, app: "App") -> None:
    pages = OfficialsPages(app)
    admin_app.router.add_get("/officials", pages.list)
    admin_app.router.add_get("/officials/{official_id}", pages.show)
    admin_app.router.add_post("/officials/{official_id}/availability", pages.availability)
    admin_app.router.add_post("/officials/{official_id}/absences", pages.absence)
    admin_app.router.add_post("/officials/{official_id}/absences/{absence_id}/remove", pages.remove_absence)
    admin_app.router.add_post("/officials/{official_id}/invite", pages.invite)
