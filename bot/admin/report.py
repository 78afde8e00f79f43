"""The period report in the web console (/admin/report), for coordinators: the figures of `dukat-bord report`
(bot/reports.py `build_report`, the same function the CLI and the chat's /rapport call) for two chosen dates,
charts drawn as SVG bars in the page (no script; each followed by a table of the same figures as its text
alternative), and the CLI's CSV as a download.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Mapping

from aiohttp import web

from ..clock import STOCKHOLM
from ..reports import PeriodProblem, Report, build_report, check_period, default_period, report_csv, summary_params
from ..roles import COORDINATOR
from . import current_user, render, requires, texts

if TYPE_CHECKING:
    from ..app import App

# Chart geometry, in SVG user units (the SVG scales to the page's width).
WIDTH = 800
DAY_CHART_HEIGHT = 260
AXIS = 40  # room for the figures left of the bars / the dates below them
TOP = 12
LABELS = 250  # room for the names left of horizontal bars...
LABEL_CHARS = 28  # ...which holds this many characters of the chart's text (longer names end in "…")
ROW = 30
MAX_DAY_LABELS = 14
MAX_DATE_TEXT = 40  # characters of a mistyped date repeated in the message


# --- the period ------------------------------------------------------------------------------------------


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodProblem("coordinator.cli_bad_date", value=text.strip()[:MAX_DATE_TEXT]) from None


def period_of(query: Mapping[str, str], today: date) -> tuple[date, date]:
    """The period asked for in `from` and `to` (YYYY-MM-DD; an empty one is the default's, the last seven days
    as /rapport in the chat); raises PeriodProblem for a date that is none, end before start, a period over a
    year or a year out of range (bot/reports.py `check_period`, as the CLI)."""
    first, last = default_period(today)
    start = parse_day(query["from"]) if query.get("from", "").strip() else first
    end = parse_day(query["to"]) if query.get("to", "").strip() else last
    check_period(start, end)
    return start, end


# --- charts --------------------------------------------------------------------------------------------


@dataclass
class Chart:
    """An SVG chart as the template draws it: rectangles with a CSS class and a tooltip, texts, axis lines."""

    height: float
    bars: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    width: int = WIDTH

    def bar(self, x: float, y: float, w: float, h: float, kind: str, title: str) -> None:
        if h > 0 and w > 0:
            self.bars.append({"x": _r(x), "y": _r(y), "w": _r(w), "h": _r(h), "kind": kind, "title": title})

    def text(self, x: float, y: float, text: str, anchor: str = "start") -> None:
        self.texts.append({"x": _r(x), "y": _r(y), "text": text, "anchor": anchor})

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.lines.append({"x1": _r(x1), "y1": _r(y1), "x2": _r(x2), "y2": _r(y2)})


def _r(value: float) -> float:
    return round(value, 1)


OUTCOMES = (("answered", "report.answered"), ("did_you_mean", "report.did_you_mean"), ("fallback", "report.fallback"))
MEETING_FIGURES = (("booked", "report.col_booked"), ("cancelled", "report.col_cancelled"),
                   ("declined", "report.col_declined"))


def day_chart(report: Report, t: Callable[..., str]) -> Chart:
    """Questions per day, stacked by outcome (answered, "did you mean", unanswered), as the PNG of the CLI."""
    chart = Chart(DAY_CHART_HEIGHT)
    bottom = DAY_CHART_HEIGHT - 28
    plot_w, plot_h = WIDTH - AXIS - 8, bottom - TOP
    highest = max(1, max((a + d + f for _, a, d, f in report.per_day), default=0))
    scale = plot_h / highest
    slot = plot_w / max(1, len(report.per_day))
    every = max(1, math.ceil(len(report.per_day) / MAX_DAY_LABELS))
    chart.line(AXIS, bottom, WIDTH - 8, bottom)
    chart.line(AXIS, TOP, AXIS, bottom)
    chart.text(AXIS - 6, bottom + 4, "0", "end")
    chart.text(AXIS - 6, TOP + 8, str(highest), "end")
    for i, (day, *counts) in enumerate(report.per_day):
        x, y = AXIS + i * slot + slot * 0.1, bottom
        for (outcome, key), n in zip(OUTCOMES, counts):
            chart.bar(x, y - n * scale, slot * 0.8, n * scale, outcome, f"{day.isoformat()} {t(key)}: {n}")
            y -= n * scale
        if i % every == 0:
            chart.text(x + slot * 0.4, bottom + 18, day.strftime("%d/%m"), "middle")
    return chart


def bar_rows(rows: list[tuple[str, list[tuple[int, str, str]]]]) -> Chart:
    """Horizontal bars: a row per name, in it one bar per (value, kind, label), longest value filling the width."""
    per_row = max((len(values) for _, values in rows), default=1)
    row_h = max(ROW, 12 * per_row + 8)
    chart = Chart(TOP + row_h * max(1, len(rows)) + 8)
    highest = max(1, max((v for _, values in rows for v, _, _ in values), default=0))
    scale = (WIDTH - LABELS - 60) / highest
    chart.line(LABELS, TOP, LABELS, chart.height - 8)
    for i, (name, values) in enumerate(rows):
        top = TOP + i * row_h
        shown = name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1].rstrip() + "…"
        chart.text(LABELS - 8, top + row_h / 2 + 5, shown, "end")
        thick = (row_h - 8) / len(values)
        for j, (value, kind, label) in enumerate(values):
            y = top + 4 + j * thick
            chart.bar(LABELS, y, value * scale, thick - 2, kind, f"{name} {label}: {value}")
            chart.text(LABELS + value * scale + 6, y + thick / 2 + 4, str(value))
    return chart


def charts(report: Report, t: Callable[..., str]) -> dict[str, Chart]:
    drawn = {"per_day": day_chart(report, t),
             "top_entries": bar_rows([(name, [(n, "entry", t("report.col_count"))]) for name, n in report.top_entries])}
    if report.has_booking:
        drawn["meetings"] = bar_rows([(org, [(n, kind, t(key)) for n, (kind, key) in zip(figures, MEETING_FIGURES)])
                                      for org, *figures in report.meetings])
    return drawn


# --- pages ---------------------------------------------------------------------------------------------


class ReportPages:
    def __init__(self, app: "App") -> None:
        self.app = app

    def _today(self) -> date:
        return self.app.clock.now().astimezone(STOCKHOLM).date()

    def _t(self, request: web.Request) -> Callable[..., str]:
        user = current_user(request)
        return texts(self.app, user.lang if user else self.app.settings.default_lang)

    def _bad_period(self, request: web.Request, message: str) -> web.Response:
        """The form again with the dates as typed and why no report is made: no figures, nothing to download."""
        return render(request, "report_page.html", status=400, report=None, problem=message,
                      start=request.query.get("from", "")[:MAX_DATE_TEXT],
                      end=request.query.get("to", "")[:MAX_DATE_TEXT])

    @requires(COORDINATOR)
    async def page(self, request: web.Request) -> web.StreamResponse:
        t = self._t(request)
        first, last = default_period(self._today())
        try:
            start, end = period_of(request.query, self._today())
        except PeriodProblem as problem:
            return self._bad_period(request, t(problem.key, **problem.params))
        report = await build_report(self.app.db, start, end)
        names = {e.id: e.question for e in self.app.knowledge.current.entries.values()}
        return render(request, "report_page.html", report=report, problem=None, start=start.isoformat(),
                      end=end.isoformat(), summary=t("report.summary", **summary_params(report)),
                      charts=charts(report, t), questions=names, outcomes=OUTCOMES,
                      csv_query=f"from={start.isoformat()}&to={end.isoformat()}",
                      is_default=(start, end) == (first, last))

    @requires(COORDINATOR)
    async def csv(self, request: web.Request) -> web.StreamResponse:
        """The CSV `dukat-bord report --csv` writes, as a download."""
        t = self._t(request)
        try:
            start, end = period_of(request.query, self._today())
        except PeriodProblem as problem:
            return self._bad_period(request, t(problem.key, **problem.params))
        report = await build_report(self.app.db, start, end)
        name = f"dukat-rapport-{start.isoformat()}-{end.isoformat()}.csv"
        return web.Response(body=report_csv(report, t).encode("utf-8"), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})


def add_routes(admin: web.Application, app: "App") -> None:
    pages = ReportPages(app)
    admin.router.add_get("/report", pages.page)
    admin.router.add_get("/report/csv", pages.csv)
