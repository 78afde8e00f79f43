"""The FAQ in the web console (/admin/faq), for coordinators: search, an entry in both languages with the answer
as a founder gets it, editing the whole entry (checked with `dukat-bord faq check`'s rules, a diff before saving,
a warning when someone else saved in between), history with revert, reviewed today, retiring, new entries.

Everything is written through bot/faq_service.py's FaqEditing, as the chat commands write (bot/features/
coordinator.py), so chat and web keep one history and one set of rules. bot/admin/guide.py shows the start
guide's steps with the same pages (`EntryPages` with another `Shape`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy

from knowledge.editing import FIELD_ORDER, EditRefused, assign, entry_version, set_reviewed
from knowledge.model import LANGS, FaqEntry, Problem
from knowledge.text import fold

from ..answers import Operator, faq_reply
from ..clock import STOCKHOLM
from ..faq_service import FaqEditing, fresh_phrasings, new_entry_id, problem_lines
from ..reports import find_cluster, mark_handled, months_before, stale_entries, stale_months
from ..roles import COORDINATOR
from . import current_user, render, requires, see_other, texts

if TYPE_CHECKING:
    from ..app import App

HISTORY_LIMIT = 50
LIST_SPLIT = re.compile(r"[,;\s]+")


class MissingPage(web.HTTPClientError):
    """404 with the console's page saying what is missing (bot/web.py replaces a plain HTTPNotFound's body)."""

    status_code = 404


@dataclass(frozen=True)
class Shape:
    """What an editable item is made of: texts per language (one line or many), lists of phrasings per
    language (one a line in the form), lists of ids (comma separated), and which texts may be left out."""

    kind: str  # "faq" or "guide": the URL and the templates
    edit_prefix: str  # the editor's id prefix ("" or "guide/")
    texts: tuple[tuple[str, bool], ...]  # (field, multi-line)
    phrase_lists: tuple[str, ...]
    id_lists: tuple[str, ...]
    optional_texts: tuple[str, ...] = ()

    def form_fields(self) -> list[str]:
        return [*(f for f, _ in self.texts), *self.phrase_lists, *self.id_lists, "source", "reviewed"]


FAQ_SHAPE = Shape("faq", "", (("question", False), ("lead", False), ("answer", True)), ("alternates",),
                  ("authorities", "topics"), optional_texts=("lead",))


@dataclass
class FormValues:
    """The form as typed: texts per field (and language), kept so a form with problems shows them again."""

    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def today(app: "App") -> dt.date:
    return app.clock.now().astimezone(STOCKHOLM).date()


def form_of_entry(shape: Shape, data: dict[str, Any]) -> FormValues:
    """An entry (plain data) as the form shows it."""
    values: dict[str, str] = {}
    for field, _ in shape.texts:
        for lang in LANGS:
            values[f"{field}.{lang}"] = str((data.get(field) or {}).get(lang, ""))
    for field in shape.phrase_lists:
        for lang in LANGS:
            values[f"{field}.{lang}"] = "\n".join((data.get(field) or {}).get(lang, []))
    for field in shape.id_lists:
        values[field] = ", ".join(data.get(field) or [])
    values["source"] = str(data.get("source", ""))
    values["reviewed"] = str(data.get("reviewed", ""))
    if "id" in data:
        values["id"] = str(data["id"])
    return FormValues(values)


def form_values(shape: Shape, posted: MultiDictProxy) -> FormValues:
    names = [f"{f}.{lang}" for f, _ in shape.texts for lang in LANGS]
    names += [f"{f}.{lang}" for f in shape.phrase_lists for lang in LANGS]
    names += [*shape.id_lists, "source", "reviewed", "id"]
    values = {}
    for name in names:
        value = posted.get(name)
        if isinstance(value, str):
            values[name] = value.replace("\r\n", "\n")
    return FormValues(values)


def entry_from_form(shape: Shape, form: FormValues, base: dict[str, Any], entry_id: str) -> tuple[dict[str, Any], list[Problem]]:
    """The whole entry as the form says it (on top of `base`, which keeps what the form does not show), and
    the problems no editor could write (a date that is not a date); the rest is for the knowledge check."""
    entry = dict(base)
    entry["id"] = entry_id
    problems: list[Problem] = []
    for field, _ in shape.texts:
        pair = {lang: form.get(f"{field}.{lang}").strip() for lang in LANGS}
        if field in shape.optional_texts and not any(pair.values()):
            entry.pop(field, None)
        else:
            entry[field] = pair
    for field in shape.phrase_lists:
        entry[field] = {lang: [line.strip() for line in form.get(f"{field}.{lang}").split("\n") if line.strip()]
                        for lang in LANGS}
    for field in shape.id_lists:
        entry[field] = [v.strip().lower() for v in LIST_SPLIT.split(form.get(field)) if v.strip()]
    entry["source"] = form.get("source").strip()
    reviewed = form.get("reviewed").strip()
    try:
        entry["reviewed"] = dt.date.fromisoformat(reviewed).isoformat()
    except ValueError:  # checked here (the editor needs a date); the rest is still checked with it as it was
        problems.append(Problem("", entry_id, "reviewed", "bad_date", {"value": reviewed or "-"}))
        entry["reviewed"] = str(base["reviewed"])
    return entry, problems


# --- diffs ---------------------------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _segments(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) pieces word by word (a word with the space after it): "same", "del" or "ins"."""
    a, b = re.findall(r"\s+|\S+\s*", before), re.findall(r"\s+|\S+\s*", after)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


def field_diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The fields that differ, per language where a field has languages: label, before, after, pieces."""
    before, after = before or {}, after or {}
    rows = []
    keys = [k for k in FIELD_ORDER if k in before or k in after]
    keys += sorted(k for k in {*before, *after} if k not in FIELD_ORDER)
    for key in keys:
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        if isinstance(b, dict) or isinstance(a, dict):
            b, a = b or {}, a or {}
            for lang in sorted({*b, *a}):
                if b.get(lang) != a.get(lang):
                    old, new = _as_text(b.get(lang)), _as_text(a.get(lang))
                    rows.append({"field": key, "lang": lang, "before": old, "after": new, "pieces": _segments(old, new)})
        else:
            old, new = _as_text(b), _as_text(a)
            rows.append({"field": key, "lang": None, "before": old, "after": new, "pieces": _segments(old, new)})
    return rows


# --- the pages -------------------------------------------------------------------------------------------


class EntryPages:
    """Show, edit, diff, save, history and revert, for FAQ entries or (with another Shape) guide steps."""

    def __init__(self, app: "App", shape: Shape) -> None:
        self.app = app
        self.shape = shape
        self.editing = FaqEditing(app)

    # helpers

    def item(self, item_id: str) -> Any:
        raise NotImplementedError

    def edit_id(self, item_id: str) -> str:
        return self.shape.edit_prefix + item_id

    def path(self, item_id: str, rest: str = "") -> str:
        return f"/{self.shape.kind}/{item_id}{rest}"

    def t(self, request: web.Request):
        user = current_user(request)
        return texts(self.app, user.lang if user else self.app.settings.default_lang)

    def _known_or_404(self, request: web.Request) -> tuple[str, Any]:
        item_id = request.match_info["id"]
        item = self.item(item_id)
        if item is None:
            raise self._missing(request, self.t(request)("admin.faq.unknown", id=item_id))
        return item_id, item

    def _missing(self, request: web.Request, text: str) -> "MissingPage":
        page = self._page(request, "message.html", item_id=None, heading="admin.faq.not_found", problems=[],
                          text=text)
        return MissingPage(text=page.text, content_type="text/html")

    def _page(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        context.setdefault("group", "")  # a new entry made from a group of unanswered questions
        return render(request, f"{self.shape.kind}_{template}", status=status, kind=self.shape.kind,
                      writable=self.editing.writable, knowledge_dir=self.editing.shown_directory(), **context)

    def _problems(self, request: web.Request, problems: list[Problem]) -> list[tuple[str, str, str]]:
        return problem_lines(self.t(request), problems)

    def _not_writable(self, request: web.Request, **context: Any) -> web.Response:
        return render(request, "faq_not_writable.html", status=409, kind=self.shape.kind,
                      knowledge_dir=self.editing.shown_directory(), **context)

    async def _current(self, item_id: str) -> dict[str, Any] | None:
        """The entry as its file holds it now (None where it cannot be read: not there, or not writable)."""
        try:
            return await asyncio.to_thread(self.editing.editor.entry, self.edit_id(item_id))
        except EditRefused:
            return None

    async def _their_change(self, item_id: str, version: str) -> list[dict[str, Any]] | None:
        """What was saved since `version` (from the history: the row that started from it, to now)."""
        current = await self._current(item_id)
        for row in await self.editing.history(self.edit_id(item_id), HISTORY_LIMIT):
            before = json.loads(row["before"]) if row["before"] else None
            if entry_version(before) == version:
                return field_diff(before, current)
        return None

    async def _conflict(self, request: web.Request, item_id: str, version: str,
                        form: FormValues | None = None) -> web.Response:
        """Someone saved the entry since `version`: their change, and the form's (if any) against the entry now."""
        current = await self._current(item_id)
        yours = field_diff(current, entry_from_form(self.shape, form, current or {}, item_id)[0]) if form else None
        return self._page(request, "conflict.html", status=409, item_id=item_id,
                          theirs=await self._their_change(item_id, version), yours=yours, form=form,
                          version=await self.editing.version(self.edit_id(item_id)))

    def _edit_form(self, request: web.Request, item_id: str | None, form: FormValues, version: str,
                   problems: list[tuple[str, str, str]] | None = None, status: int = 200, **context: Any) -> web.Response:
        return self._page(request, "edit.html", status=status, item_id=item_id, form=form, version=version,
                          problems=problems or [], fields=self.shape, **context)

    # routes

    @requires(COORDINATOR)
    async def edit(self, request: web.Request) -> web.StreamResponse:
        item_id, _ = self._known_or_404(request)
        if not self.editing.writable:
            return self._not_writable(request, item_id=item_id)
        data = await self._current(item_id)
        if data is None:  # in the knowledge in service but no longer in the files
            raise self._missing(request, self.t(request)("admin.faq.unknown", id=item_id))
        return self._edit_form(request, item_id, form_of_entry(self.shape, data),
                               await self.editing.version(self.edit_id(item_id)))

    async def _proposed(self, request: web.Request) -> tuple[str, FormValues, str, dict[str, Any], list[Problem]]:
        item_id, _ = self._known_or_404(request)
        posted = await request.post()
        form = form_values(self.shape, posted)
        version = str(posted.get("version", ""))
        current = await self._current(item_id)
        entry, problems = entry_from_form(self.shape, form, current or {}, item_id)
        return item_id, form, version, entry, problems

    @requires(COORDINATOR)
    async def check(self, request: web.Request) -> web.StreamResponse:
        """The form sent: problems next to it, or the diff with Save / back. Nothing is written."""
        if not self.editing.writable:
            return self._not_writable(request, item_id=request.match_info["id"])
        item_id, form, version, entry, problems = await self._proposed(request)
        if request.query.get("back"):
            return self._edit_form(request, item_id, form, version)
        try:
            change = await self.editing.check_update(self.edit_id(item_id), version, lambda node: assign(node, entry))
        except EditRefused as exc:
            exc.problems = problems + exc.problems
            return await self._refused(request, exc, item_id, form, version)
        if problems:
            return self._edit_form(request, item_id, form, version, self._problems(request, problems), status=400)
        return self._page(request, "diff.html", item_id=item_id, form=form, version=version,
                          diff=field_diff(change.before, change.after), preview=self.preview(change.after))

    @requires(COORDINATOR)
    async def save(self, request: web.Request) -> web.StreamResponse:
        if not self.editing.writable:
            return self._not_writable(request, item_id=request.match_info["id"])
        item_id, form, version, entry, problems = await self._proposed(request)
        if problems:
            return self._edit_form(request, item_id, form, version, self._problems(request, problems), status=400)
        user = current_user(request)
        changed = ", ".join(f"{r['field']}.{r['lang']}" if r["lang"] else r["field"]
                            for r in field_diff(await self._current(item_id), entry)) or "-"
        try:
            await self.editing.update(user.address if user else None, self.edit_id(item_id), version, changed,
                                      lambda node: assign(node, entry))
        except EditRefused as exc:
            return await self._refused(request, exc, item_id, form, version)
        raise see_other(request, self.path(item_id, "?saved=1"))

    async def _refused(self, request: web.Request, exc: EditRefused, item_id: str | None, form: FormValues,
                       version: str) -> web.Response:
        if exc.code == "conflict" and item_id is not None:
            return await self._conflict(request, item_id, version, form)
        if exc.code == "not_writable":
            return self._not_writable(request, item_id=item_id)
        if exc.code == "invalid":
            return self._edit_form(request, item_id, form, version, self._problems(request, exc.problems), status=400)
        t = self.t(request)
        message = t("admin.faq.exists", id=exc.params.get("id", "")) if exc.code == "exists" else \
            t("admin.faq.unknown", id=exc.params.get("id", ""))
        return self._edit_form(request, item_id, form, version, [("-", "id", message)], status=400)

    @requires(COORDINATOR)
    async def history(self, request: web.Request) -> web.StreamResponse:
        item_id, _ = self._known_or_404(request)
        rows = []
        for row in await self.editing.history(self.edit_id(item_id), HISTORY_LIMIT):
            before = json.loads(row["before"]) if row["before"] else None
            when = dt.datetime.fromisoformat(row["created_at"]).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
            rows.append({"id": row["id"], "when": when, "field": row["field"], "editor": row["editor"],
                         "created": before is None, "diff": field_diff(before, json.loads(row["after"]))})
        version = await self.editing.version(self.edit_id(item_id)) if self.editing.writable else ""
        return self._page(request, "history.html", item_id=item_id, rows=rows, version=version,
                          reverted=request.query.get("reverted"))

    @requires(COORDINATOR)
    async def revert(self, request: web.Request) -> web.StreamResponse:
        item_id, _ = self._known_or_404(request)
        if not self.editing.writable:
            return self._not_writable(request, item_id=item_id)
        hid = request.match_info["hid"]
        row = await self.editing.history_row(int(hid)) if hid.isdigit() else None
        if row is None or row["entry_id"] != self.edit_id(item_id):
            raise self._missing(request, self.t(request)("admin.faq.unknown_version", number=hid))
        return await self._one_step(request, item_id, f"/history?reverted={hid}",
                                    lambda who, version: self.editing.revert(who, int(hid), version))

    @requires(COORDINATOR)
    async def reviewed(self, request: web.Request) -> web.StreamResponse:
        item_id, _ = self._known_or_404(request)
        day = today(self.app)
        return await self._one_step(request, item_id, "?reviewed=1", lambda who, version: self.editing.update(
            who, self.edit_id(item_id), version, "reviewed", lambda node: set_reviewed(node, day)))

    async def _one_step(self, request: web.Request, item_id: str, done: str,
                        write: Callable[[str | None, str], Awaitable[Any]]) -> web.StreamResponse:
        """A change made with one button (reviewed today, retire, revert), with the version the page showed."""
        if not self.editing.writable:
            return self._not_writable(request, item_id=item_id)
        version = str((await request.post()).get("version", ""))
        user = current_user(request)
        try:
            await write(user.address if user else None, version)
        except EditRefused as exc:
            if exc.code == "conflict":
                return await self._conflict(request, item_id, version)
            problems = self._problems(request, exc.problems) if exc.problems else \
                [("-", "-", self.t(request)("admin.faq.not_saved"))]
            return self._page(request, "message.html", status=400, item_id=item_id, heading="admin.faq.not_saved",
                              problems=problems, text="")
        raise see_other(request, self.path(item_id, done))

    def preview(self, data: dict[str, Any] | None) -> dict[str, Any] | None:
        return None


class FaqPages(EntryPages):
    def __init__(self, app: "App") -> None:
        super().__init__(app, FAQ_SHAPE)

    @property
    def knowledge(self):
        return self.app.knowledge.current

    def item(self, item_id: str) -> Any:
        return self.knowledge.entries.get(item_id) or self.knowledge.retired.get(item_id)

    def preview(self, data: dict[str, Any] | FaqEntry | None) -> dict[str, Any] | None:
        """The answer in both languages exactly as a founder gets it in the chat (bot/answers.py faq_reply)."""
        if data is None:
            return None
        try:
            entry = data if isinstance(data, FaqEntry) else FaqEntry.model_validate(data)
        except ValueError:
            return None
        shown = {}
        for lang in LANGS:
            reply = faq_reply(entry, self.knowledge, lang, texts(self.app, lang), can_book=self.app.engine.can_book(),
                              operator=Operator.of(self.app.settings))
            shown[lang] = {"text": reply.text, "buttons": [b.label for b in reply.all_buttons()]}
        return shown

    # list and entry

    @requires(COORDINATOR)
    async def index(self, request: web.Request) -> web.StreamResponse:
        q = request.query.get("q", "").strip()
        topic = request.query.get("topic", "")
        authority = request.query.get("authority", "")
        stale_only = request.query.get("stale") == "1"
        months = stale_months()
        stale = {e.id for e in stale_entries(self.knowledge, today(self.app), months)}
        words = fold(q).split()

        def matches(entry: FaqEntry, active: bool) -> bool:
            if topic and topic not in entry.topics:
                return False
            if authority and authority not in entry.authorities:
                return False
            if stale_only and (not active or entry.id not in stale):
                return False
            hay = fold(" ".join([entry.id, *entry.phrasings("sv"), *entry.phrasings("en"), entry.answer.sv,
                                 entry.answer.en]))
            return all(w in hay for w in words)

        entries = [e for e in self.knowledge.entries.values() if matches(e, True)]
        retired = [e for e in self.knowledge.retired.values() if matches(e, False)]
        used_authorities = sorted({a for e in [*self.knowledge.entries.values(), *self.knowledge.retired.values()]
                                   for a in e.authorities})
        return self._page(request, "list.html", entries=entries, retired=retired, stale=stale, months=months,
                          q=q, topic=topic, authority=authority, stale_only=stale_only,
                          topics=sorted(self.knowledge.topics.values(), key=lambda x: x.id),
                          authorities=[self.knowledge.authorities[a] for a in used_authorities
                                       if a in self.knowledge.authorities],
                          total=len(self.knowledge.entries))

    @requires(COORDINATOR)
    async def show(self, request: web.Request) -> web.StreamResponse:
        item_id, entry = self._known_or_404(request)
        stale = entry.reviewed < _cutoff(self.app)
        version = await self.editing.version(item_id) if self.editing.writable else ""
        return self._page(request, "entry.html", entry=entry, item_id=item_id, stale=stale, months=stale_months(),
                          preview=self.preview(entry), version=version,
                          authorities={a: self.knowledge.authorities.get(a) for a in entry.authorities},
                          topic_labels={x: self.knowledge.topics.get(x) for x in entry.topics},
                          saved=request.query.get("saved"), reviewed=request.query.get("reviewed"),
                          retired_now=request.query.get("retired"), created=request.query.get("created"))

    # retire

    @requires(COORDINATOR)
    async def retire_form(self, request: web.Request) -> web.StreamResponse:
        item_id, entry = self._known_or_404(request)
        if not self.editing.writable:
            return self._not_writable(request, item_id=item_id)
        return self._page(request, "retire.html", entry=entry, item_id=item_id,
                          version=await self.editing.version(item_id))

    @requires(COORDINATOR)
    async def retire(self, request: web.Request) -> web.StreamResponse:
        item_id, _ = self._known_or_404(request)
        return await self._one_step(request, item_id, "?retired=1", lambda who, version: self.editing.update(
            who, item_id, version, "retired", lambda node: node.__setitem__("retired", True)))

    # a new entry

    async def _prefill(self, request: web.Request) -> FormValues:
        """The form filled from the query: lang, question, alternate (repeated), group (unanswered questions)."""
        query = request.query
        lang = query.get("lang") if query.get("lang") in LANGS else "sv"
        question = query.get("question", "").strip()
        alternates = [a.strip() for a in query.getall("alternate", []) if a.strip()]
        group = query.get("group", "")
        if group.isdigit():
            cluster = await find_cluster(self.app.db, int(group))
            if cluster is not None:
                lang = cluster.lang if cluster.lang in LANGS else lang
                fresh = fresh_phrasings(self.knowledge, cluster.texts, lang)
                question = question or (fresh[0] if fresh else cluster.examples[0])
                alternates = alternates or [t for t in fresh if t != question][:8]
        values = {"reviewed": today(self.app).isoformat()}
        if question:
            values[f"question.{lang}"] = question
        if alternates:
            values[f"alternates.{lang}"] = "\n".join(alternates)
        return FormValues(values)

    def _new_form(self, request: web.Request, form: FormValues, group: str, problems=None, status: int = 200):
        return self._edit_form(request, None, form, "none", problems, status=status, group=group,
                               known_authorities=sorted(a for a, x in self.knowledge.authorities.items()
                                                        if not x.municipality),
                               known_topics=sorted(self.knowledge.topics))

    @requires(COORDINATOR)
    async def new(self, request: web.Request) -> web.StreamResponse:
        if not self.editing.writable:
            return self._not_writable(request, item_id=None)
        group = request.query.get("group", "")
        return self._new_form(request, await self._prefill(request), group if group.isdigit() else "")

    async def _proposed_new(self, request: web.Request) -> tuple[FormValues, str, dict[str, Any], list[Problem]]:
        posted = await request.post()
        form = form_values(self.shape, posted)
        group = str(posted.get("group", ""))
        entry_id = form.get("id").strip().lower() or new_entry_id(self.knowledge, form.get("question.sv"))
        form.values["id"] = entry_id
        entry, problems = entry_from_form(self.shape, form, {"reviewed": today(self.app).isoformat()}, entry_id)
        return form, group if group.isdigit() else "", entry, problems

    @requires(COORDINATOR)
    async def check_new(self, request: web.Request) -> web.StreamResponse:
        if not self.editing.writable:
            return self._not_writable(request, item_id=None)
        form, group, entry, problems = await self._proposed_new(request)
        if request.query.get("back"):
            return self._new_form(request, form, group)
        try:
            change = await self.editing.check_create(entry)
        except EditRefused as exc:
            exc.problems = problems + exc.problems
            return self._new_refused(request, exc, form, group)
        if problems:
            return self._new_form(request, form, group, self._problems(request, problems), status=400)
        return self._page(request, "diff.html", item_id=None, form=form, version="none", group=group,
                          diff=field_diff(None, change.after), preview=self.preview(change.after))

    def _new_refused(self, request: web.Request, exc: EditRefused, form: FormValues, group: str) -> web.Response:
        if exc.code == "not_writable":
            return self._not_writable(request, item_id=None)
        if exc.code == "exists":
            problems = [("-", "id", self.t(request)("admin.faq.exists", id=exc.params.get("id", "")))]
        else:
            problems = self._problems(request, exc.problems)
        return self._new_form(request, form, group, problems, status=400)

    @requires(COORDINATOR)
    async def save_new(self, request: web.Request) -> web.StreamResponse:
        if not self.editing.writable:
            return self._not_writable(request, item_id=None)
        form, group, entry, problems = await self._proposed_new(request)
        if problems:
            return self._new_form(request, form, group, self._problems(request, problems), status=400)
        user = current_user(request)
        try:
            change = await self.editing.create(user.address if user else None, entry)
        except EditRefused as exc:
            return self._new_refused(request, exc, form, group)
        if group:
            cluster = await find_cluster(self.app.db, int(group))
            if cluster is not None:
                await mark_handled(self.app.db, cluster.row_ids)
        raise see_other(request, self.path(change.entry_id, "?created=1"))


def _cutoff(app: "App") -> dt.date:
    return months_before(today(app), stale_months())


def add_entry_routes(admin: web.Application, pages: EntryPages) -> None:
    """The routes every kind has: edit (form, check, save), history and revert, reviewed today."""
    base = f"/{pages.shape.kind}/{{id}}"
    admin.router.add_get(base + "/edit", pages.edit)
    admin.router.add_post(base + "/edit", pages.check)
    admin.router.add_post(base + "/save", pages.save)
    admin.router.add_get(base + "/history", pages.history)
    admin.router.add_post(base + "/revert/{hid}", pages.revert)
    admin.router.add_post(base + "/reviewed", pages.reviewed)


def add_routes(admin: web.Application, app: "App") -> None:
    pages = FaqPages(app)
    admin.router.add_get("/faq", pages.index)
    admin.router.add_get("/faq/new", pages.new)
    admin.router.add_post("/faq/new", pages.check_new)
    admin.router.add_post("/faq/new/save", pages.save_new)
    admin.router.add_get("/faq/{id}", pages.show)
    admin.router.add_get("/faq/{id}/retire", pages.retire_form)
    admin.router.add_post("/faq/{id}/retire", pages.retire)
    add_entry_routes(admin, pages)

