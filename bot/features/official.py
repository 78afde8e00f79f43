"""Officials' self-service in chat: their weekly times and absences (with booked meetings handled).

/tider shows the weekly windows; `/tider mån 09:00-12:00 13:00-16:00` replaces Monday's, `/tider mån -`
clears it. `/franvaro 2026-12-01 2026-12-03` (or one date) asks for confirmation, listing what will happen to
each booked meeting in it, then records the absence; each such meeting gets a substitute or is cancelled with new
times offered to the founder, all in one transaction, and everyone is told after it. Reading and checking times
and dates is booking/officials_service.py's, shared with the web console (bot/admin/officials.py, me.py). Replies are in the official's language. Only linked, active officials may use these; anyone else gets a polite refusal.
/kalender gives the secret address of their calendar feed (bot/web_feed.py) to subscribe to.
"""

from __future__ import annotations

import logging
from datetime import datetime

from booking.model import InvalidRequest
from booking.officials_service import (MAX_ABSENCE_DAYS, absence_instants, absence_problem, day_number, parse_date,
                                       parse_spans)

from ..clock import STOCKHOLM
from ..engine import Feature, Turn
from ..formatting import format_time_range
from ..messages import Button, Reply

log = logging.getLogger(__name__)

class OfficialFeature(Feature):
    name = "official"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {"/tider": self.times, "/times": self.times, "/franvaro": self.absence, "/absence": self.absence,
                         "/kalender": self.calendar, "/calendar": self.calendar}
        self.payloads = {"of": self.button}
        self.required_roles = {name: "official" for name in (*self.commands, "of")}

    @property
    def service(self):
        return self.app.booking

    async def _official(self, turn: Turn):
        """The active official writing, or None. Their first contact gets no founder's welcome, and the
        replies are in the official's language."""
        official = await self.service.official_by_address(turn.address)
        if official is None or not official.active:
            return None
        if turn.user.is_new:
            turn.user.is_new = False
            turn.user.lang = official.lang
        return official

    def _t(self, official):
        def t(key: str, **params: object) -> str:
            return self.app.catalogue.text(official.lang, key, **params)

        return t

    async def times(self, turn: Turn, args: str) -> list[Reply]:
        official = await self._official(turn)
        if official is None:
            return [Reply(turn.t("booking.officials_only"))]
        t = self._t(official)
        if args.strip():
            day_word, _, spans_text = args.strip().partition(" ")
            day = day_number(day_word)
            try:
                if day is None or not spans_text.strip():
                    raise InvalidRequest("no weekday or times")
                await self.service.set_day_windows(official.id, day, parse_spans(spans_text, day))
            except InvalidRequest:
                return [Reply(t("official.times_usage"))]
        windows = await self.service.windows_of(official.id)
        names = t("time.weekdays").split(",")
        lines = [t("official.times_header")]
        for weekday in range(7):
            spans = [f"{w.start:%H:%M}–{w.end:%H:%M}" for w in sorted(windows, key=lambda w: w.start) if w.weekday == weekday]
            lines.append(t("official.times_line", day=names[weekday], spans=", ".join(spans) or t("official.times_none")))
        lines.append(t("official.times_hint"))
        return [Reply("\n".join(lines))]

    def _range(self, turn: Turn, first, last) -> str | None:
        """The catalogue key of what is wrong with the date range, or None."""
        problem = absence_problem(first, last, turn.now.astimezone(STOCKHOLM).date())
        return f"official.absence_{problem}" if problem else None

    async def absence(self, turn: Turn, args: str) -> list[Reply]:
        official = await self._official(turn)
        if official is None:
            return [Reply(turn.t("booking.officials_only"))]
        t = self._t(official)
        parts = args.split()
        first = parse_date(parts[0]) if parts else None
        last = parse_date(parts[1]) if len(parts) > 1 else first
        problem = self._range(turn, first, last) if len(parts) <= 2 else "official.absence_usage"
        if problem:
            return [Reply(t(problem, days=MAX_ABSENCE_DAYS))]
        buttons = [[Button(t("official.absence_yes"), f"of:abs:{first:%Y%m%d}:{last:%Y%m%d}"),
                    Button(t("official.absence_no"), "of:no")]]
        lines = [t("official.absence_confirm", first=first.isoformat(), last=last.isoformat())]
        try:
            effects = await self.service.absence_effects(official.id, *absence_instants(first, last, STOCKHOLM))
        except Exception:  # the preview only informs: the question stands, and the real change reports its own failure
            log.exception("could not work out what an absence would do")
            effects = []
        if effects:
            names = {o.id: o.name for o in (await self.service.snapshot()).officials}
            lines.append(t("official.absence_effects_header"))
            for effect in effects:
                when = format_time_range(effect.start, effect.end, official.lang)
                lines.append(t("official.absence_effect_substituted", ref=effect.meeting_ref, time=when,
                               substitute=names.get(effect.substitute_id or "", "?"))
                             if effect.outcome == "substituted" else
                             t("official.absence_effect_cancelled", ref=effect.meeting_ref, time=when))
        return [Reply("\n".join(lines), buttons=buttons)]

    async def calendar(self, turn: Turn, args: str) -> list[Reply]:
        """The secret address of the official's calendar feed (bot/web_feed.py), to subscribe to."""
        from ..web_feed import official_feed_url

        official = await self._official(turn)
        if official is None:
            return [Reply(turn.t("booking.officials_only"))]
        return [Reply(self._t(official)("web.feed_chat", url=await official_feed_url(self.app, official.id)))]

    async def button(self, turn: Turn, rest: str) -> list[Reply] | None:
        official = await self._official(turn)
        if official is None:
            return [Reply(turn.t("booking.officials_only"))]
        t = self._t(official)
        if rest == "no":
            return [Reply(t("official.absence_dropped"), replaces_pressed=True)]
        action, _, span = rest.partition(":")
        a, _, b = span.partition(":")
        try:
            first, last = datetime.strptime(a, "%Y%m%d").date(), datetime.strptime(b, "%Y%m%d").date()
        except ValueError:
            return None
        if action != "abs" or self._range(turn, first, last):
            return None
        results = await self.service.add_absence(official.id, *absence_instants(first, last, STOCKHOLM))
        substituted = sum(1 for _, outcome in results if outcome == "substituted")
        cancelled = sum(1 for _, outcome in results if outcome == "no_substitute")
        return [Reply(t("official.absence_done", first=first.isoformat(), last=last.isoformat(),
                        substituted=substituted, cancelled=cancelled), replaces_pressed=True)]
