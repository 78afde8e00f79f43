"""Editing the FAQ and the start guide's steps, for the chat commands (bot/features/coordinator.py) and the web
console (bot/admin/faq.py, bot/admin/guide.py) alike, so both follow one set of rules.

Every change goes through knowledge/editing.py's KnowledgeEditor (validated with the rules of `dukat-bord faq
check`, refused on a version conflict), is recorded in faq_history (the whole entry before and after) and is
live at once (the knowledge is reloaded). `check_update` / `check_create` say what a change would do without
writing it, for a page that shows the diff before saving.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from knowledge.editing import Change, EditRefused, KnowledgeEditor
from knowledge.loader import bundled_dir, iter_problems_sorted
from knowledge.model import ID_PATTERN, FaqEntry, Knowledge, Problem, fold_phrase
from knowledge.text import fold

log = logging.getLogger(__name__)

# Tables of the coordinator tools (FAQ history, the question log, the weekly jobs), registered under the
# package name "coordinator" in bot/app.py MIGRATION_MODULES (through bot/features/coordinator.py).
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        -- Every change to an FAQ entry: the whole entry before and after (JSON), so any version can return.
        CREATE TABLE faq_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id TEXT NOT NULL,
            field TEXT NOT NULL,
            editor TEXT,                      -- coordinator address (NULL after they erased their data)
            before TEXT,                      -- NULL for a new entry
            after TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX faq_history_entry ON faq_history(entry_id);
        -- One row per question answered (or not): day, language, outcome, entry. Never who asked.
        CREATE TABLE question_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            day TEXT NOT NULL,                -- Europe/Stockholm date
            lang TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'did_you_mean', 'fallback')),
            faq_id TEXT
        );
        CREATE INDEX question_log_day ON question_log(day);
        -- When each weekly coordinator job last ran (stale reminder, digest), so a restart sends none twice.
        CREATE TABLE coordinator_jobs (
            name TEXT PRIMARY KEY,
            last_period TEXT NOT NULL,
            ran_at TEXT NOT NULL
        );
        """,
    ),
]

MIN_ALTERNATES = {"sv": 3, "en": 1}  # phrasings a new entry needs besides its question (knowledge/model.py)


class FaqEditing:
    """Changes to the FAQ: written through KnowledgeEditor, recorded in faq_history, reloaded at once."""

    def __init__(self, app) -> None:
        self.app = app

    @property
    def editor(self) -> KnowledgeEditor:
        return KnowledgeEditor(self.app.knowledge.directory)

    @property
    def writable(self) -> bool:
        return self.editor.writable

    def shown_directory(self) -> str:
        """The knowledge directory in use, as the refusal to edit names it."""
        return str(self.app.knowledge.directory or bundled_dir())

    async def version(self, entry_id: str) -> str:
        """The entry's version as the file holds it now (the YAML is parsed in a worker thread, off the loop)."""
        return await asyncio.to_thread(self.editor.version, entry_id)

    async def _record(self, who: str | None, change: Change, field: str) -> int:
        stamp = self.app.clock.now().isoformat()
        async with self.app.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO faq_history(entry_id, field, editor, before, after, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (change.entry_id, field, who, json.dumps(change.before, ensure_ascii=False) if change.before else None,
                 json.dumps(change.after, ensure_ascii=False), stamp),
            )
            return int(cur.lastrowid or 0)

    async def _after_write(self, who: str | None, change: Change, field: str) -> Change:
        await self._record(who, change, field)
        problems = await self.app.knowledge.refresh()
        if problems:  # cannot happen after validation, unless someone edits the files at the same moment
            log.warning("knowledge reload after an edit found %d problem(s)", len(problems))
        self.app.knowledge_watch.mark_seen()  # the file watch need not load our own write again
        return change

    async def update(self, who: str | None, entry_id: str, version: str, field: str, mutate) -> Change:
        change = await asyncio.to_thread(self.editor.update, entry_id, version, mutate)
        return await self._after_write(who, change, field)

    async def create(self, who: str | None, entry: dict[str, Any]) -> Change:
        change = await asyncio.to_thread(self.editor.create, entry)
        return await self._after_write(who, change, "create")

    async def revert(self, who: str | None, history_id: int, version: str) -> Change:
        row = await self.app.db.fetchone("SELECT entry_id, before FROM faq_history WHERE id = ?", (history_id,))
        if row is None:
            raise EditRefused("unknown_version", id=str(history_id))
        target = json.loads(row["before"]) if row["before"] else None
        change = await asyncio.to_thread(self.editor.restore, row["entry_id"], version, target)
        return await self._after_write(who, change, f"revert:{history_id}")

    async def history(self, entry_id: str, limit: int = 10) -> list[Any]:
        return await self.app.db.fetchall(
            "SELECT id, field, editor, before, after, created_at FROM faq_history WHERE entry_id = ? ORDER BY id DESC LIMIT ?",
            (entry_id, limit),
        )

    async def history_row(self, history_id: int) -> Any:
        return await self.app.db.fetchone(
            "SELECT id, entry_id, field, before, after, created_at FROM faq_history WHERE id = ?", (history_id,)
        )

    # --- trying a change without writing it ---------------------------------------------------------

    async def check_update(self, entry_id: str, version: str, mutate) -> Change:
        """The change `update` would make (before and after), validated and version-checked the same way,
        without writing anything. Raises EditRefused as `update` does."""
        return await asyncio.to_thread(self._trial, lambda editor: editor.update(entry_id, version, mutate))

    async def check_create(self, entry: dict[str, Any]) -> Change:
        return await asyncio.to_thread(self._trial, lambda editor: editor.create(entry))

    def _trial(self, edit: Callable[[KnowledgeEditor], Change]) -> Change:
        """`edit` made by the real editor on a scratch copy of the knowledge directory, which is thrown away."""
        editor = self.editor
        if not editor.writable or editor.directory is None:
            raise EditRefused("not_writable", dir=self.shown_directory())
        root = editor.directory
        with tempfile.TemporaryDirectory(prefix="dukat-trial-") as scratch:
            trial = Path(scratch) / "knowledge"
            shutil.copytree(root, trial, ignore=shutil.ignore_patterns(".*"))
            try:
                change = edit(KnowledgeEditor(trial))
            except EditRefused as exc:
                exc.problems = [Problem(p.file.replace(str(trial), str(root)), p.entry, p.field, p.code, p.params)
                                for p in exc.problems]
                raise
        return Change(change.entry_id, change.before, change.after, change.file.replace(str(trial), str(root)))


# --- pure helpers -------------------------------------------------------------------------------------


def problem_lines(t: Callable[..., str], problems: list[Problem]) -> list[tuple[str, str, str]]:
    """(entry, field, message) for each problem, in `dukat-bord faq check`'s order and words."""
    return [(p.entry or "-", p.field or "-", t(f"problems.{p.code}", **p.params)) for p in iter_problems_sorted(problems)]


def new_entry_id(knowledge: Knowledge, question: str) -> str:
    """An id for a new entry made from its Swedish question, not taken by any entry (retired ones too)."""
    words = [w for w in fold(question).split() if w.isalnum()]
    base = "-".join(words)[:34].strip("-") or "post"
    if not re.match(ID_PATTERN, base):
        base = "post-" + base
    taken = set(knowledge.entries) | set(knowledge.retired)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate[:40]


def fresh_phrasings(knowledge: Knowledge, texts: list[str], lang: str) -> list[str]:
    """Questions that are not yet a phrasing of any entry (those would fail validation), each once."""
    known = {fold_phrase(p) for e in [*knowledge.entries.values(), *knowledge.retired.values()]
             for p in e.phrasings(lang)}
    fresh, seen = [], set()
    for text in texts:
        key = fold_phrase(text)
        if key and key not in known and key not in seen:
            fresh.append(text.strip())
            seen.add(key)
    return fresh


def search_entries(knowledge: Knowledge, words_typed: str) -> list[FaqEntry]:
    """Active entries holding every word typed (in the id, phrasings or answers, both languages), those
    mentioning the words most first: the chat's /faq_sok and the console's entry search."""
    words = fold(words_typed).split()
    hits = []
    for entry in knowledge.entries.values():
        hay = fold(" ".join([entry.id, *entry.phrasings("sv"), *entry.phrasings("en"), entry.answer.sv, entry.answer.en]))
        if all(w in hay for w in words):
            hits.append((-sum(hay.count(w) for w in words), entry.id))
    hits.sort()
    return [knowledge.entries[entry_id] for _, entry_id in hits] if words else []
