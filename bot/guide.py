"""The start guide's state and texts: each founder's progress in the database, the checklist file,
and the summary officials see when the founder agreed to share it.

The guide's steps are content (`knowledge/data/guide.yaml`); the way through them is pure logic
(`knowledge.guide`). This module stores progress and words it; `bot/features/guide.py` is the dialogue.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from knowledge.guide import Progress, Standing, standing
from knowledge.model import GuideStep, Knowledge

from .formatting import format_datetime
from .messages import Attachment
from .personal_data import stored_time

if TYPE_CHECKING:
    from .app import App

T = Callable[..., str]

DEPENDS = ["bot"]  # guide_progress.address refers to the bot's users table
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        -- One row per founder who opened the guide. notes: their own questions for a meeting (personal data).
        CREATE TABLE guide_progress (
            address TEXT PRIMARY KEY REFERENCES users(address) ON DELETE CASCADE,
            current_step TEXT,
            statuses TEXT NOT NULL DEFAULT '{}',
            notes TEXT NOT NULL DEFAULT '[]',
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    ),
]


class GuideStore:
    """Progress through the guide, one row per address."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def load(self, address: str) -> Progress:
        row = await self.db.fetchone(
            "SELECT current_step, statuses, notes FROM guide_progress WHERE address = ?", (address,)
        )
        if row is None:
            return Progress()
        return Progress(row["current_step"], json.loads(row["statuses"]), tuple(json.loads(row["notes"])))

    async def save(self, address: str, progress: Progress, now: datetime) -> None:
        stamp = now.isoformat()
        await self.db.execute(
            "INSERT INTO guide_progress(address, current_step, statuses, notes, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET current_step = excluded.current_step,"
            " statuses = excluded.statuses, notes = excluded.notes, updated_at = excluded.updated_at",
            (address, progress.current, json.dumps(progress.statuses), json.dumps(list(progress.notes)), stamp, stamp),
        )

    async def forget(self, address: str) -> None:
        await self.db.execute("DELETE FROM guide_progress WHERE address = ?", (address,))


class GuideService:
    """What other features need of the guide: where a founder stands, as text or as a checklist file."""

    def __init__(self, app: "App", store: GuideStore) -> None:
        self.app = app
        self.store = store

    @property
    def steps(self) -> tuple[GuideStep, ...]:
        return self.app.knowledge.current.guide

    def t(self, lang: str) -> T:
        return lambda key, **params: self.app.catalogue.text(lang, key, **params)

    async def standing(self, address: str) -> tuple[Progress, Standing]:
        progress = await self.store.load(address)
        return progress, standing(self.steps, progress)

    async def summary(self, address: str, lang: str) -> str:
        """Where the founder is in the guide, for the officials of their meeting; "" if they never opened it."""
        progress, where = await self.standing(address)
        if not progress.started or not self.steps:
            return ""
        return summary_text(where, progress, lang, self.t(lang))

    async def checklist(self, address: str, lang: str, now: datetime) -> Attachment:
        progress, where = await self.standing(address)
        meetings = [(format_datetime(m.start, lang), m.ref) for m in await self.app.booking.upcoming_for(address)]
        text = checklist_markdown(self.steps, where, progress, self.app.knowledge.current, lang, self.t(lang),
                                  format_datetime(now, lang), meetings)
        return Attachment(self.t(lang)("guide.checklist_filename"), text.encode("utf-8"), "text/markdown")


def numbered(steps: tuple[GuideStep, ...], step: GuideStep, lang: str) -> str:
    return f"{steps.index(step) + 1}. {step.title.get(lang)}" if step in steps else step.title.get(lang)


def summary_text(where: Standing, progress: Progress, lang: str, t: T) -> str:
    def names(group: tuple[GuideStep, ...]) -> str:
        return ", ".join(s.title.get(lang) for s in group)

    lines = [t("guide.summary_done", done=len(where.done), total=where.total, steps=names(where.done) or "–")]
    if where.skipped:
        lines.append(t("guide.summary_skipped", steps=names(where.skipped)))
    if where.current is not None:
        lines.append(t("guide.summary_current", step=where.current.title.get(lang)))
    elif where.finished:
        lines.append(t("guide.summary_finished"))
    if progress.notes:
        lines.append(t("guide.summary_notes") + "\n" + "\n".join(f"• {n}" for n in progress.notes))
    return "\n".join(lines)


# Only what makes markup inside a list item: the text stays readable as plain text on a phone.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~])")


def md(text: str) -> str:
    """Text written by someone else, safe inside Markdown (shown as typed, never as markup)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def checklist_markdown(
    steps: tuple[GuideStep, ...], where: Standing, progress: Progress, knowledge: Knowledge, lang: str, t: T,
    day: str, meetings: list[tuple[str, str]],
) -> str:
    """The founder's checklist: every step with its state and who helps, then the questions to bring."""
    out = [f"# {t('guide.checklist_title')}", "", t("guide.checklist_made", date=day), ""]
    out += [t("guide.checklist_count", done=len(where.done), total=where.total), "", f"## {t('guide.checklist_steps')}", ""]
    for number, step in enumerate(steps, start=1):
        title = md(step.title.get(lang))
        if step in where.done:
            out.append(f"- [x] {number}. {title}")
            continue
        mark = t("guide.checklist_skipped") if step in where.skipped else (
            t("guide.checklist_here") if step == where.current else "")
        out.append(f"- [ ] {number}. {title}" + (f" ({mark})" if mark else ""))
        helpers = [knowledge.authorities[a] for a in step.authorities if a in knowledge.authorities]
        if helpers:
            who = ", ".join(md(a.name.get(lang)) + (f" <{a.website}>" if a.website else "") for a in helpers)
            out.append(f"  - {t('guide.checklist_who')}: {who}")
    questions = [(None, n) for n in progress.notes]
    for step in where.skipped + ((where.current,) if where.current and where.current not in where.skipped else ()):
        questions += [(step, q) for q in step.ask.get(lang)]
    out += ["", f"## {t('guide.checklist_questions')}", ""]
    if not questions:
        out.append(t("guide.checklist_no_questions"))
    for step, question in questions:
        origin = t("guide.checklist_own") if step is None else md(step.title.get(lang))
        out.append(f"- {md(question)} ({origin})")
    if meetings:
        out += ["", f"## {t('guide.checklist_meetings')}", ""]
        out += [f"- {md(when)}, {t('guide.checklist_ref', ref=ref)}" for when, ref in meetings]
    out += ["", t("guide.checklist_footer"), ""]
    return "\n".join(out)


class GuidePersonalData:
    """The guide's personal data: a founder's progress and their own questions."""

    name = "guide"

    async def export(self, db: Any, address: str) -> Any:
        row = await db.fetchone(
            "SELECT current_step, statuses, notes, started_at, updated_at FROM guide_progress WHERE address = ?",
            (address,),
        )
        if row is None:
            return None
        return {"current_step": row["current_step"], "statuses": json.loads(row["statuses"]),
                "notes": json.loads(row["notes"]), "started_at": stored_time(row["started_at"]),
                "updated_at": stored_time(row["updated_at"])}

    async def erase(self, conn: Any, address: str, now: datetime) -> list:
        await conn.execute("DELETE FROM guide_progress WHERE address = ?", (address,))
        return []

    async def active_since(self, conn: Any, cutoff: datetime) -> set[str]:
        return set()  # using the guide is contact: users.last_seen already counts it
