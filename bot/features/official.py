"""Officials' self-service in chat: their weekly times and absences (with booked meetings handled).

/tider shows the weekly windows; `/tider mån 09:00-12:00 13:00-16:00` replaces Monday's, `/tider mån -`
clears it. `/franvaro 2026-12-01 2026-12-03` (or one date) asks for confirmation, then records the
absence; each meeting in it gets a substitute or is cancelled with new times offered to the founder, all
in one transaction, and everyone is told after it. Replies are in the official's language. Only linked, active officials may use these; anyone else gets a polite refusal.
/kalender gives the secret address of their calendar feed (bot/web_feed.py) to subscribe to.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from booking.model import InvalidRequest
from booking.rules import WEEKDAYS

from ..clock import STOCKHOLM
from ..engine import Feature, Turn
from ..messages import Button, Reply

_SPAN = re.compile(r"^(\d{1,2})[:.](\d{2})-(\d{1,2})[:.](\d{2})$")
DAY_WORDS = {
    **{w: i for i, w in enumerate(WEEKDAYS)},
    **{w: i for i, w in enumerate(("mån", "tis", "ons", "tor", "fre", "lör", "sön"))},
    **{w: i for i, w in enumerate(("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"))},
    **{w: i for i, w in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
}
MAX_ABSENCE_DAYS = 366


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


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
            parts = args.lower().split()
            day = DAY_WORDS.get(parts[0])
            spans = []
            for part in parts[1:] if parts[1:] != ["-"] else []:
                match = _SPAN.match(part)
                try:
                    spans.append((time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))))  # type: ignore[index]
                except (TypeError, ValueError):
                    day = None
                    break
            if day is None or len(parts) < 2:
                return [Reply(t("official.times_usage"))]
            try:
                await self.service.set_day_windows(official.id, day, spans)
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

    def _range(self, turn: Turn, first: date | None, last: date | None) -> str | None:
        """The catalogue key of what is wrong with the date range, or None."""
        if first is None or last is None:
            return "official.absence_usage"
        today = turn.now.astimezone(STOCKHOLM).date()
        if last < first:
            return "official.absence_backwards"
        if last < today or (last - first).days >= MAX_ABSENCE_DAYS or first > today + timedelta(days=MAX_ABSENCE_DAYS):
            return "official.absence_absurd"
        return None

    async def absence(self, turn: Turn, args: str) -> list[Reply]:
        official = await self._official(turn)
        if official is None:
            return [Reply(turn.t("booking.officials_only"))]
        t = self._t(official)
        parts = args.split()
        first = _parse_date(parts[0]) if parts else None
        last = _parse_date(parts[1]) if len(parts) > 1 else first
        problem = self._range(turn, first, last) if len(parts) <= 2 else "official.absence_usage"
        if problem:
            return [Reply(t(problem, days=MAX_ABSENCE_DAYS))]
        buttons = [[Button(t("official.absence_yes"), f"of:abs:{first:%Y%m%d}:{last:%Y%m%d}"),
                    Button(t("official.absence_no"), "of:no")]]
        return [Reply(t("official.absence_confirm", first=first.isoformat(), last=last.isoformat()), buttons=buttons)]

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
        start = datetime.combine(first, time(0), STOCKHOLM)
        end = datetime.combine(last + timedelta(days=1), time(0), STOCKHOLM)
        results = await self.service.add_absence(official.id, start, end)
        substituted = sum(1 for _, outcome in results if outcome == "substituted")
        cancelled = sum(1 for _, outcome in results if outcome == "no_substitute")
        return [Reply(t("official.absence_done", first=first.isoformat(), last=last.isoformat(),
                        substituted=substituted, cancelled=cancelled), replaces_pressed=True)]
