"""What coordinators learn from: the question log, clusters of unanswered questions, stale entries and
the period report (numbers, CSV and a PNG chart with Swedish labels).

Nothing here knows who asked: the question log holds day, language, outcome and entry; the unanswered
table holds the text and language only.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping

from rapidfuzz import fuzz

from booking.busy_service import failing_calendars
from knowledge.questions_form import WH_WORDS
from knowledge.text import fold_word, light_words, lower_words, stem, stopwords

from .clock import STOCKHOLM
from .unanswered import catalogue_labels, worth_logging

DEFAULT_STALE_MONTHS = 12
MAX_EXAMPLES = 5
# Two questions are one group when they share this much of their content words (Dice coefficient, each word
# weighted by how rare it is among the questions grouped, so "asf" and "starta" in every question count little)...
SHARED_SHARE = 0.6
# ...and a text with fewer content words than this joins only a text with the same ones: "ja" or "asf" alone
# never seeds a group that longer questions join.
MIN_CONTENT_WORDS = 2
SAME_STEM = 85  # rapidfuzz ratio at which two stems of five letters or more are one word with a typo
# Words that say how something is asked, not what about (besides stop words, question and filler words).
ANSWER_WORDS = frozenset({"ja", "nej", "jo", "yes", "no", "ok", "okej", "okay", "tack", "thanks", "hej", "hi"})


def stale_months(env: Mapping[str, str] | None = None) -> int:
    """DUKAT_STALE_MONTHS (default 12): entries reviewed longer ago than this are stale."""
    env = os.environ if env is None else env
    try:
        months = int(env.get("DUKAT_STALE_MONTHS", DEFAULT_STALE_MONTHS))
    except ValueError:
        return DEFAULT_STALE_MONTHS
    return months if months > 0 else DEFAULT_STALE_MONTHS


def outcome_of(intent: str, faq_id: str | None) -> str:
    if intent in ("faq", "routing", "just_answered") and faq_id:  # just_answered: part of the answer just given
        return "answered"
    if intent == "did_you_mean":
        return "did_you_mean"
    return "fallback"


class QuestionLog:
    """One row per question the FAQ handled: Stockholm day, language, outcome, entry. No identity."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def record(self, now: datetime, lang: str, outcome: str, faq_id: str | None) -> None:
        day = now.astimezone(STOCKHOLM).date().isoformat()
        await self.db.execute(
            "INSERT INTO question_log(day, lang, outcome, faq_id) VALUES (?, ?, ?, ?)",
            (day, lang, outcome, faq_id if outcome == "answered" else None),
        )


# --- clusters of unanswered questions -------------------------------------------------------------


@dataclass
class Cluster:
    key: int  # the smallest unanswered row id in it: stable while its rows are unhandled
    lang: str
    row_ids: list[int]
    texts: list[str]  # newest first, distinct
    newest: str
    best_faq_ids: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.row_ids)

    @property
    def examples(self) -> list[str]:
        return self.texts[:MAX_EXAMPLES]


def normalised(text: str, lang: str) -> str:
    """Stems of the words that carry meaning, sorted: 'Hur får man lönebidrag?' -> 'lonebidrag'."""
    lang = "en" if lang == "en" else "sv"
    stop = stopwords()[lang]
    words = [w for w in lower_words(text) if w]
    stems = {stem(w, lang) for w in words if stem(w, lang) not in stop and w not in stop}
    if not stems:  # only stop words: keep them, so "vad då?" still groups with itself
        stems = {stem(w, lang) for w in words}
    return " ".join(sorted(stems))


def content_words(text: str, lang: str) -> frozenset[str]:
    """Stems of the words that say what a question is about: no stop words, question words, everyday filler
    ("gör", "betyder") or yes/no. "kan ja fa pengar till mitt asf" -> {"peng", "asf"}."""
    lang = "en" if lang == "en" else "sv"
    skip = stopwords()[lang] | light_words()[lang] | WH_WORDS[lang] | ANSWER_WORDS
    stems = set()
    for word in lower_words(text):
        folded = fold_word(word)
        if folded in skip or folded.isdigit():
            continue
        stemmed = stem(word, lang)
        if stemmed not in skip:
            stems.add(stemmed)
    return frozenset(stems)


def cluster_questions(rows: Iterable[Mapping[str, Any]]) -> list[Cluster]:
    """Group rows (id, text, lang, created_at, best_faq_id) that ask about the same thing, per language.

    Each question joins the first cluster holding a similar one (single link), else starts its own; similar
    means the same normalised text, or enough shared content words (`_similar`). Largest first, then newest.
    """
    rows = sorted(rows, key=lambda r: (str(r["created_at"]), int(r["id"])), reverse=True)
    keyed = [(row, (normalised(str(row["text"]), str(row["lang"])), content_words(str(row["text"]), str(row["lang"]))))
             for row in rows]
    weight = _rarity([words for _, (_, words) in keyed])
    clusters: list[tuple[list[tuple[str, frozenset[str]]], Cluster]] = []
    for row, key in keyed:
        lang = str(row["lang"])
        home = None
        for keys, cluster in clusters:
            if cluster.lang == lang and any(_similar(key, k, weight) for k in keys):
                home = (keys, cluster)
                break
        if home is None:
            cluster = Cluster(int(row["id"]), lang, [], [], str(row["created_at"]))
            home = ([], cluster)
            clusters.append(home)
        keys, cluster = home
        keys.append(key)
        cluster.row_ids.append(int(row["id"]))
        cluster.key = min(cluster.key, int(row["id"]))
        text = str(row["text"]).strip()
        if all(text.casefold() != t.casefold() for t in cluster.texts):
            cluster.texts.append(text)
        best = row.get("best_faq_id") if hasattr(row, "get") else row["best_faq_id"]
        if best and best not in cluster.best_faq_ids:
            cluster.best_faq_ids.append(str(best))
    result = [cluster for _, cluster in clusters]
    result.sort(key=lambda c: (-c.count, _neg(c.newest)))
    return result


def _neg(stamp: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in stamp)


def _rarity(word_sets: list[frozenset[str]]) -> dict[str, float]:
    """A weight per content word: 1 + ln((N + 1) / df), so a word in every question weighs about 1 and a
    word in one of twenty about 4."""
    df = Counter(w for words in word_sets for w in words)
    n = len(word_sets)
    return {w: 1 + math.log((n + 1) / count) for w, count in df.items()}


def _similar(a: tuple[str, frozenset[str]], b: tuple[str, frozenset[str]], weight: Mapping[str, float]) -> bool:
    """Same normalised text, or shared content words: all of them when either has fewer than
    MIN_CONTENT_WORDS, else at least SHARED_SHARE of both (Dice over the words' rarity weights)."""
    (norm_a, words_a), (norm_b, words_b) = a, b
    if norm_a == norm_b:
        return True
    if not words_a or not words_b:
        return False
    small, large = sorted((words_a, words_b), key=len)
    shared = [w for w in small if any(_same_stem(w, other) for other in large)]
    if len(small) < MIN_CONTENT_WORDS:
        return len(shared) == len(small) == len(large)
    total = sum(weight.get(w, 1.0) for w in small) + sum(weight.get(w, 1.0) for w in large)
    return 2 * sum(weight.get(w, 1.0) for w in shared) / total >= SHARED_SHARE


def _same_stem(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= SAME_STEM)


def questions_only(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose text is worth a coordinator's time (bot/unanswered.py), also those logged before the
    filter existed."""
    labels = catalogue_labels()
    return [dict(r) for r in rows if worth_logging(str(r["text"]), str(r["lang"]), labels)]


async def unanswered_clusters(db: Any, since: datetime | None = None, until: datetime | None = None) -> list[Cluster]:
    sql = "SELECT id, text, lang, created_at, best_faq_id FROM unanswered WHERE handled = 0"
    params: list[Any] = []
    if since is not None:
        sql += " AND created_at >= ?"
        params.append(since.isoformat())
    if until is not None:
        sql += " AND created_at < ?"
        params.append(until.isoformat())
    rows = await db.fetchall(sql, params)
    return cluster_questions(questions_only(rows))


async def find_cluster(db: Any, key: int) -> Cluster | None:
    return next((c for c in await unanswered_clusters(db) if key in c.row_ids), None)


async def mark_handled(db: Any, row_ids: list[int]) -> None:
    if row_ids:
        marks = ",".join("?" * len(row_ids))
        await db.execute(f"UPDATE unanswered SET handled = 1 WHERE id IN ({marks})", row_ids)


# --- stale entries --------------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, 28)


def stale_entries(knowledge: Any, today: date, months: int, guide: bool = False) -> list[Any]:
    """Active entries (or, with `guide`, start guide steps) reviewed before `months` months ago, oldest first."""
    cutoff = months_before(today, months)
    items = knowledge.guide if guide else knowledge.entries.values()
    return sorted((e for e in items if e.reviewed < cutoff), key=lambda e: (e.reviewed, e.id))


# --- the period report ----------------------------------------------------------------------------


@dataclass
class Report:
    start: date
    end: date  # inclusive
    per_day: list[tuple[date, int, int, int]]  # day, answered, did_you_mean, fallback
    top_entries: list[tuple[str, int]]
    top_clusters: list[tuple[str, int]]  # example text, count
    meetings: list[tuple[str, int, int, int]]  # organisation, booked, cancelled, declined
    load: list[tuple[str, str, int]]  # official, organisation, meetings
    has_booking: bool
    undelivered_reminders: int = 0  # reminders due in the period given up undelivered (booking/reminders.py)
    failing_calendars: int = 0  # officials' calendars whose latest read failed (booking/busy_service.py), now
    undelivered_mail: int = 0  # e-mails settled in the period refused for good or given up (bot/channels/mail_queue.py)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "answered": sum(d[1] for d in self.per_day),
            "did_you_mean": sum(d[2] for d in self.per_day),
            "fallback": sum(d[3] for d in self.per_day),
        }

    @property
    def questions(self) -> int:
        return sum(self.totals.values())

    def share(self, outcome: str) -> float:
        return self.totals[outcome] / self.questions if self.questions else 0.0


MAX_REPORT_DAYS = 366  # a report covers at most a year (leap day included)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # dates outside these years are typing mistakes, not periods to report on
DEFAULT_REPORT_DAYS = 7


class PeriodProblem(ValueError):
    """A period no report is made for: `key` and `params` name the catalogue text that says why."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def check_period(start: date, end: date) -> None:
    """Raises PeriodProblem unless start..end is a period to report on (the CLI and the web console ask this)."""
    for day in (start, end):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise PeriodProblem("admin.report.bad_year", value=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR)
    if end < start:
        raise PeriodProblem("coordinator.cli_backwards", start=start.isoformat(), end=end.isoformat())
    if (end - start).days > MAX_REPORT_DAYS:
        raise PeriodProblem("coordinator.cli_too_long")


def default_period(today: date) -> tuple[date, date]:
    """The last seven days up to and including `today`, as /rapport in the chat reports."""
    return today - timedelta(days=DEFAULT_REPORT_DAYS - 1), today


async def _has_table(db: Any, name: str) -> bool:
    return await db.fetchone("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None


def _utc_bounds(start: date, end: date) -> tuple[str, str]:
    first = datetime.combine(start, time(0), STOCKHOLM)
    after = datetime.combine(end + timedelta(days=1), time(0), STOCKHOLM)
    from datetime import timezone

    return first.astimezone(timezone.utc).isoformat(), after.astimezone(timezone.utc).isoformat()


async def build_report(db: Any, start: date, end: date, top: int = 10) -> Report:
    """Figures for the days start..end (inclusive, Stockholm dates)."""
    rows = await db.fetchall(
        "SELECT day, outcome, COUNT(*) AS n FROM question_log WHERE day BETWEEN ? AND ? GROUP BY day, outcome",
        (start.isoformat(), end.isoformat()),
    )
    counts: dict[str, Counter] = {}
    for row in rows:
        counts.setdefault(row["day"], Counter())[row["outcome"]] = row["n"]
    per_day = []
    day = start
    while day <= end:
        c = counts.get(day.isoformat(), Counter())
        per_day.append((day, c["answered"], c["did_you_mean"], c["fallback"]))
        day += timedelta(days=1)
    entries = await db.fetchall(
        "SELECT faq_id, COUNT(*) AS n FROM question_log WHERE day BETWEEN ? AND ? AND outcome = 'answered'"
        " AND faq_id IS NOT NULL GROUP BY faq_id ORDER BY n DESC, faq_id LIMIT ?",
        (start.isoformat(), end.isoformat(), top),
    )
    lo, hi = _utc_bounds(start, end)
    unanswered = await db.fetchall(
        "SELECT id, text, lang, created_at, best_faq_id FROM unanswered WHERE created_at >= ? AND created_at < ?", (lo, hi)
    )
    clusters = cluster_questions(questions_only(unanswered))[:top]
    has_booking = await _has_table(db, "meetings") and await _has_table(db, "participants")
    meetings: list[tuple[str, int, int, int]] = []
    load: list[tuple[str, str, int]] = []
    undelivered = failing = 0
    if has_booking:
        org_rows = await db.fetchall(
            """
            SELECT o.name AS org,
                   COUNT(DISTINCT CASE WHEN m.created_at >= :lo AND m.created_at < :hi THEN m.id END) AS booked,
                   COUNT(DISTINCT CASE WHEN m.state = 'cancelled' AND m.updated_at >= :lo AND m.updated_at < :hi
                                       THEN m.id END) AS cancelled,
                   SUM(CASE WHEN p.state = 'declined' AND p.updated_at >= :lo AND p.updated_at < :hi THEN 1 ELSE 0 END)
                       AS declined
            FROM participants p
            JOIN meetings m ON m.id = p.meeting_id
            JOIN officials f ON f.id = p.official_id
            JOIN organisations o ON o.id = f.organisation_id
            GROUP BY o.id ORDER BY booked DESC, o.name
            """,
            {"lo": lo, "hi": hi},
        )
        meetings = [(r["org"], r["booked"], r["cancelled"], r["declined"] or 0) for r in org_rows
                    if r["booked"] or r["cancelled"] or r["declined"]]
        load_rows = await db.fetchall(
            """
            SELECT f.name AS official, o.name AS org, COUNT(DISTINCT m.id) AS n
            FROM participants p
            JOIN meetings m ON m.id = p.meeting_id
            JOIN officials f ON f.id = p.official_id
            JOIN organisations o ON o.id = f.organisation_id
            WHERE p.state != 'declined' AND m.state != 'cancelled' AND m.start_utc >= ? AND m.start_utc < ?
            GROUP BY f.id ORDER BY n DESC, f.name
            """,
            (lo, hi),
        )
        load = [(r["official"], r["org"], r["n"]) for r in load_rows]
        undelivered = await undelivered_reminders(db, lo, hi)
        if await _has_table(db, "calendar_reads"):
            failing = await failing_calendars(db)
    return Report(
        start=start,
        end=end,
        per_day=per_day,
        top_entries=[(r["faq_id"], r["n"]) for r in entries],
        top_clusters=[(c.examples[0], c.count) for c in clusters],
        meetings=meetings,
        load=load,
        has_booking=has_booking,
        undelivered_reminders=undelivered,
        failing_calendars=failing,
        undelivered_mail=await undelivered_mail(db, lo, hi) if await _has_table(db, "mail_queue") else 0,
    )


async def undelivered_reminders(db: Any, lo: str, hi: str) -> int:
    """Reminders and digests due from `lo` until `hi` (UTC, ISO) that were given up without being delivered."""
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM reminders_sent WHERE state = 'given_up' AND due_utc >= ? AND due_utc < ?", (lo, hi)
    )
    return int(row["n"]) if row else 0


async def undelivered_mail(db: Any, lo: str, hi: str) -> int:
    """E-mails settled from `lo` until `hi` (UTC, ISO) without being delivered: refused for good (5xx) or given up."""
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM mail_queue WHERE state IN ('undeliverable', 'given_up') AND done_at >= ?"
        " AND done_at < ?", (lo, hi))
    return int(row["n"]) if row else 0


def report_csv(report: Report, t) -> str:
    """Sections separated by an empty line; headers from the catalogue (`t(key)`)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([t("report.col_day"), t("report.answered"), t("report.did_you_mean"), t("report.fallback")])
    for day, a, d, f in report.per_day:
        w.writerow([day.isoformat(), a, d, f])
    w.writerow([t("report.total"), *report.totals.values()])
    w.writerow([])
    w.writerow([t("report.col_entry"), t("report.col_count")])
    w.writerows(report.top_entries)
    w.writerow([])
    w.writerow([t("report.col_cluster"), t("report.col_count")])
    w.writerows(report.top_clusters)
    if report.has_booking:
        w.writerow([])
        w.writerow([t("report.col_org"), t("report.col_booked"), t("report.col_cancelled"), t("report.col_declined")])
        w.writerows(report.meetings)
        w.writerow([])
        w.writerow([t("report.col_official"), t("report.col_org"), t("report.col_meetings")])
        w.writerows(report.load)
        w.writerow([])
        w.writerow([t("report.col_undelivered"), report.undelivered_reminders])
        w.writerow([t("report.col_failing_calendars"), report.failing_calendars])
        if report.undelivered_mail:
            w.writerow([t("report.col_undelivered_mail"), report.undelivered_mail])
    return out.getvalue()


def report_png(report: Report, t) -> bytes:
    """A chart: questions per day by outcome, top entries, meetings per organisation (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = 3 if report.has_booking else 2
    fig = Figure(figsize=(10, 3.6 * panels), dpi=100)
    ax = fig.add_subplot(panels, 1, 1)
    days = [d.strftime("%d/%m") for d, *_ in report.per_day]
    answered = [a for _, a, _, _ in report.per_day]
    dym = [d for _, _, d, _ in report.per_day]
    fallback = [f for _, _, _, f in report.per_day]
    ax.bar(days, answered, label=t("report.answered"), color="#2e7d32")
    ax.bar(days, dym, bottom=answered, label=t("report.did_you_mean"), color="#f9a825")
    ax.bar(days, fallback, bottom=[a + d for a, d in zip(answered, dym)], label=t("report.fallback"), color="#c62828")
    ax.set_title(t("report.chart_per_day", start=report.start.isoformat(), end=report.end.isoformat()))
    ax.set_ylabel(t("report.col_questions"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    highest = max((a + d + f for _, a, d, f in report.per_day), default=0)
    ax.set_ylim(0, max(1, highest) * 1.35)  # room for the legend above the bars
    ax.legend(loc="upper left", ncols=3)
    if len(days) > 14:
        for i, label in enumerate(ax.get_xticklabels()):
            label.set_visible(i % max(1, len(days) // 14) == 0)
    ax2 = fig.add_subplot(panels, 1, 2)
    names = [name for name, _ in report.top_entries][::-1] or [t("report.none")]
    values = [n for _, n in report.top_entries][::-1] or [0]
    ax2.barh(names, values, color="#1565c0")
    ax2.set_title(t("report.chart_top_entries"))
    ax2.set_xlabel(t("report.col_count"))
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    if report.has_booking:
        ax3 = fig.add_subplot(panels, 1, 3)
        orgs = [m[0] for m in report.meetings] or [t("report.none")]
        x = list(range(len(orgs)))
        width = 0.27
        for offset, index, key, color in ((-width, 1, "report.col_booked", "#2e7d32"),
                                          (0, 2, "report.col_cancelled", "#757575"),
                                          (width, 3, "report.col_declined", "#c62828")):
            vals = [m[index] for m in report.meetings] or [0]
            ax3.bar([i + offset for i in x], vals, width, label=t(key), color=color)
        ax3.set_xticks(x)
        ax3.set_xticklabels(orgs, rotation=15, ha="right")
        ax3.set_title(t("report.chart_meetings"))
        ax3.yaxis.set_major_locator(MaxNLocator(integer=True))
        tallest = max((max(m[1:]) for m in report.meetings), default=0)
        ax3.set_ylim(0, max(1, tallest) * 1.35)
        ax3.legend(loc="upper right", ncols=3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def summary_params(report: Report) -> dict[str, int]:
    """The figures of the catalogue's `report.summary` line: questions, each outcome and its share in per cent."""
    totals = report.totals
    params = {"questions": report.questions}
    for outcome in ("answered", "did_you_mean", "fallback"):
        params[outcome] = totals[outcome]
        params[f"{outcome}_pct"] = round(100 * report.share(outcome))
    return params


def report_text(report: Report, t) -> str:
    """The digest in chat: totals, shares, top entries and clusters, meetings."""
    lines = [
        t("report.heading", start=report.start.isoformat(), end=report.end.isoformat()),
        t("report.summary", **summary_params(report)),
    ]
    if report.top_entries:
        lines.append(t("report.top_entries_heading"))
        lines += [t("report.item", name=name, count=n) for name, n in report.top_entries[:5]]
    if report.top_clusters:
        lines.append(t("report.top_clusters_heading"))
        lines += [t("report.item", name=text, count=n) for text, n in report.top_clusters[:5]]
    if report.has_booking and (report.meetings or report.load):
        lines.append(t("report.meetings_heading"))
        lines += [t("report.meeting_line", org=o, booked=b, cancelled=c, declined=d) for o, b, c, d in report.meetings]
        lines += [t("report.load_line", official=name, org=org, count=n) for name, org, n in report.load[:10]]
    if report.has_booking:
        lines.append(t("report.undelivered_reminders", count=report.undelivered_reminders))
        lines.append(t("report.failing_calendars", count=report.failing_calendars))
    if report.undelivered_mail:
        lines.append(t("report.undelivered_mail", count=report.undelivered_mail))
    return "\n".join(lines)
