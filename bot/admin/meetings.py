"""/admin/meetings (coordinators only): meetings by week or day in Europe/Stockholm, with time, state and the
officials and their answers; the founder only as officials see them (topics, municipality, idea: never their
chat address). A coordinator can cancel a meeting after a confirm step, through the booking service, so the
officials are told as when a founder cancels and the founder gets new times as after a decline without substitute.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from booking import repository as repo
from booking.model import Meeting, MeetingNotFound, NotAllowed, StaleVersion

from ..booking_texts import BookingTexts
from ..clock import STOCKHOLM
from ..formatting import format_time_range
from ..roles import COORDINATOR
from . import form, render, requires, see_other
from .officials import day_text, lang_of

if TYPE_CHECKING:
    from ..app import App

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_id(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> date | None:
    """The Monday of an ISO week like "2026-W11", or None."""
    match = _WEEK.match(text.strip())
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1) if match else None
    except ValueError:
        return None


async def meeting_views(app: "App", texts: BookingTexts, meetings: list[Meeting], lang: str,
                        official_id: str | None = None) -> list[dict[str, Any]]:
    """What a page shows of each meeting: time, state, officials and their answers, and the founder's topics,
    municipality and idea (what officials see; never the founder's address). With `official_id`, also that
    official's own answer."""
    t = lambda key, **params: app.catalogue.text(lang, key, **params)  # noqa: E731
    snap = await app.booking.snapshot()
    by_id = {o.id: o for o in snap.officials}
    now = app.clock.now()
    views = []
    for m in meetings:
        details = await app.booking.details(m)
        people = []
        for p in details.participants:
            o = by_id.get(p.official_id)
            org = snap.organisations.get(o.organisation_id) if o else None
            people.append({"name": o.name if o else p.official_id, "organisation": org.name if org else "",
                           "answer": t(f"booking.answer_{p.state}")})
        mine = next((str(p.state) for p in details.participants if p.official_id == official_id), None)
        views.append({
            "ref": m.ref, "version": m.sequence, "time": format_time_range(m.start, m.end, lang),
            "day": m.start.astimezone(STOCKHOLM).date(), "state": str(m.state),
            "state_text": t(f"admin.meetings.state_{m.state}"), "people": people,
            "topics": texts.topics(m.topics, lang), "municipality": m.municipality or t("booking.no_municipality"),
            "idea": m.idea or t("booking.no_idea"), "place": m.place,
            "changeable": m.active and m.start > now, "my_answer": mine,
        })
    return views


class MeetingsPages:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.texts = BookingTexts(app)

    @requires(COORDINATOR)
    async def list(self, request: web.Request) -> web.StreamResponse:
        """A week (?week=2026-W11, default this week) or a day (?day=2026-03-10), with links back and forth."""
        lang = lang_of(request)
        today = self.app.clock.now().astimezone(STOCKHOLM).date()
        day_param, week_param = request.query.get("day"), request.query.get("week")
        if day_param is not None:
            try:
                first = date.fromisoformat(day_param.strip())
            except ValueError:
                return render(request, "message.html", status=400, title_key="admin.meetings.bad_period_title",
                              text_key="admin.meetings.bad_period_text")
            days, step, mode = 1, timedelta(days=1), "day"
        else:
            first = parse_week(week_param) if week_param is not None else today - timedelta(days=today.weekday())
            if first is None:
                return render(request, "message.html", status=400, title_key="admin.meetings.bad_period_title",
                              text_key="admin.meetings.bad_period_text")
            days, step, mode = 7, timedelta(days=7), "week"
        start = datetime.combine(first, time(0), STOCKHOLM)
        end = datetime.combine(first + timedelta(days=days), time(0), STOCKHOLM)
        async with self.app.db.read() as conn:
            found = await repo.meetings_between(conn, start, end, include_cancelled=True)
        views = await meeting_views(self.app, self.texts, found, lang)
        groups = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            groups.append({"day": day.isoformat(), "title": day_text(day, lang),
                           "meetings": [v for v in views if v["day"] == day]})
        if mode == "week":
            title = self.app.catalogue.text(lang, "admin.meetings.week_title", week=first.isocalendar()[1],
                                            first=day_text(first, lang), last=day_text(first + timedelta(days=6), lang))
            previous, following = f"?week={week_id(first - step)}", f"?week={week_id(first + step)}"
            other = f"?day={(today if first <= today < first + step else first).isoformat()}"
            current = f"?week={week_id(first)}"
        else:
            title = day_text(first, lang)
            previous, following = f"?day={(first - step).isoformat()}", f"?day={(first + step).isoformat()}"
            other = f"?week={week_id(first)}"
            current = f"?day={first.isoformat()}"
        cancelled = request.query.get("cancelled", "")
        return render(request, "meetings_list.html", title=title, mode=mode, groups=groups, previous=previous,
                      following=following, other=other, current=current, count=len(found),
                      cancelled=cancelled if re.fullmatch(r"[A-Z0-9]{1,12}", cancelled) else "")

    async def _meeting(self, request: web.Request) -> Meeting | None:
        try:
            return await self.app.booking.meeting(request.match_info["ref"])
        except MeetingNotFound:
            return None

    def _not_found(self, request: web.Request) -> web.Response:
        return render(request, "message.html", status=404, title_key="admin.officials.not_found_title",
                      text_key="admin.meetings.not_found")

    @requires(COORDINATOR)
    async def ask_cancel(self, request: web.Request) -> web.StreamResponse:
        meeting = await self._meeting(request)
        if meeting is None:
            return self._not_found(request)
        lang = lang_of(request)
        (view,) = await meeting_views(self.app, self.texts, [meeting], lang)
        back = f"?week={week_id(view['day'])}"
        return render(request, "meetings_cancel.html", meeting=view, back=back)

    @requires(COORDINATOR)
    async def cancel(self, request: web.Request) -> web.StreamResponse:
        meeting = await self._meeting(request)
        if meeting is None:
            return self._not_found(request)
        version = (await form(request)).get("version", "")
        back = f"?week={week_id(meeting.start.astimezone(STOCKHOLM).date())}"
        try:
            await self.app.booking.cancel_by_coordinator(meeting.ref, int(version) if version.isdigit() else -1)
        except StaleVersion:
            return render(request, "message.html", status=409, title_key="admin.meetings.changed_title",
                          text_key="admin.meetings.changed_text")
        except NotAllowed:
            return render(request, "message.html", status=409, title_key="admin.meetings.not_cancellable_title",
                          text_key="admin.meetings.not_cancellable_text")
        raise see_other(request, f"/meetings{back}&cancelled={meeting.ref}")


def add_routes(admin_app: web.Application, app: "App") -> None:
    pages = MeetingsPages(app)
    admin_app.router.add_get("/meetings", pages.list)
    admin_app.router.add_get("/meetings/{ref}/cancel", pages.ask_cancel)
    admin_app.router.add_post("/meetings/{ref}/cancel", pages.cancel)
