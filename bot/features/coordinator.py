"""Coordinators' tools in chat: roles by invite, FAQ editing with history, unanswered questions,
stale entries and reports. Every command and button here needs the coordinator role (checked by the
engine through `required_roles`); flow steps check it again, so a role taken away mid-flow ends it.
Edits are written through bot/faq_service.py (FaqEditing), which the web console uses too; its schema
(MIGRATIONS) is imported here so bot/app.py registers it under the package name "coordinator" as before.

Editing: entry -> field and language -> new text -> preview -> confirm. The session keeps the version of
the entry seen when the edit started; if someone else changed the entry meanwhile, the confirm is refused.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from knowledge.editing import (
    GUIDE_PREFIX,
    EditRefused,
    add_alternate,
    set_lead,
    set_reviewed,
    set_text,
)
from knowledge.loader import iter_problems_sorted
from knowledge.model import LEAD_MAX
from knowledge.text import fold

from ..clock import STOCKHOLM
from ..engine import Feature, Turn
from ..faq_service import (MIGRATIONS, MIN_ALTERNATES, FaqEditing, fresh_phrasings, new_entry_id,  # noqa: F401 (MIGRATIONS)
                           search_entries)
from ..messages import Button, Reply
from ..reports import (
    build_report,
    find_cluster,
    mark_handled,
    report_text,
    stale_entries,
    stale_months,
    unanswered_clusters,
)
from ..roles import COORDINATOR

log = logging.getLogger(__name__)

TEXT_FIELDS = {"question": True, "answer": True, "lead": False, "source": False}  # field -> per language?
LEAD_SEPARATOR = "|"  # a lead is typed in both languages at once: "Ja, i praktiken. | Yes, in practice."
NO_LEAD = "-"
STEP_FIELDS = {"title": True, "body": True, "source": False}  # the same for a start guide step
LIST_SEPARATOR = re.compile(r"\s*[;|]\s*")
SEARCH_LIMIT = 8
CLUSTER_PAGE = 8  # groups of unanswered questions per page of /obesvarade
# The creation form: (field, language) asked in this order.
NEW_ENTRY_FORM = [
    ("question", "sv"), ("question", "en"), ("answer", "sv"), ("answer", "en"),
    ("alternates", "sv"), ("alternates", "en"), ("authorities", None), ("topics", None), ("source", None),
]


class CoordinatorFeature(Feature):
    name = "coordinator"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.editing = FaqEditing(app)
        self.commands = {
            "/koordinator": self.help, "/coordinator": self.help,
            "/faq_sok": self.search, "/faq_search": self.search,
            "/faq_visa": self.show_command, "/faq_show": self.show_command,
            "/faq_andra": self.edit_command, "/faq_edit": self.edit_command,
            "/faq_ny": self.new_command, "/faq_new": self.new_command,
            "/faq_historik": self.history_command, "/faq_history": self.history_command,
            "/faq_ladda": self.reload_command, "/faq_reload": self.reload_command,
            "/faq_avbryt": self.cancel_command, "/faq_cancel": self.cancel_command,
            "/obesvarade": self.clusters_command, "/unanswered": self.clusters_command,
            "/inaktuella": self.stale_command, "/stale": self.stale_command,
            "/rapport": self.report_command, "/report": self.report_command,
            "/guide_visa": self.guide_command, "/guide_show": self.guide_command,
            "/guide_andra": self.guide_edit_command, "/guide_edit": self.guide_edit_command,
        }
        self.payloads = {"co": self.button}
        self.steps = {"co.text": self.text_step, "co.form": self.form_step, "co.target": self.target_step}
        self.deep_links = {"co_": self.redeem}
        self.required_roles = {name: COORDINATOR for name in self.commands} | {"co": COORDINATOR}

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def knowledge(self):
        return self.app.knowledge.current

    def _entry(self, entry_id: str):
        """An FAQ entry, or a start guide step for `guide/<step id>`."""
        k = self.knowledge
        if entry_id.startswith(GUIDE_PREFIX):
            return k.guide_step(entry_id[len(GUIDE_PREFIX):])
        return k.entries.get(entry_id) or k.retired.get(entry_id)

    @staticmethod
    def _fields(entry_id: str) -> dict[str, bool]:
        return STEP_FIELDS if entry_id.startswith(GUIDE_PREFIX) else TEXT_FIELDS

    async def _allowed(self, turn: Turn) -> bool:
        return COORDINATOR in await self.app.roles.roles_of(turn.address)

    def _refused(self, turn: Turn, exc: EditRefused) -> list[Reply]:
        if exc.code == "invalid":
            lines = [turn.t("coordinator.invalid")]
            for p in iter_problems_sorted(exc.problems)[:8]:
                message = turn.t(f"problems.{p.code}", **p.params)
                lines.append(turn.t("coordinator.problem_line", entry=p.entry or "-", field=p.field or "-", message=message))
            return [Reply("\n".join(lines))]
        if exc.code == "not_writable":
            return [Reply(turn.t("coordinator.not_writable", dir=exc.params.get("dir", "")))]
        if exc.code == "conflict":
            return [Reply(turn.t("coordinator.conflict", id=exc.params.get("id", "")),
                          buttons=[[Button(turn.t("coordinator.show_button"), f"co:s:{exc.params.get('id', '')}")]])]
        return [Reply(turn.t(f"coordinator.refused_{exc.code}", id=exc.params.get("id", "")))]

    def _short(self, text: str, limit: int = 300) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    # --- invites and help ------------------------------------------------------------------------

    async def help(self, turn: Turn, args: str) -> list[Reply]:
        return [Reply(turn.t("coordinator.help"))]

    async def redeem(self, turn: Turn, arg: str) -> list[Reply]:
        redeemed = await self.app.roles.redeem_invite(arg.removeprefix("co_"), turn.address, COORDINATOR)
        if redeemed is None:
            return [Reply(turn.t("coordinator.invite_invalid"))]
        return [Reply(turn.t("coordinator.invite_welcome") + "\n\n" + turn.t("coordinator.help"))]

    async def cancel_command(self, turn: Turn, args: str) -> list[Reply]:
        had = turn.session.flow == "co"
        if had:
            turn.session.clear()
        return [Reply(turn.t("coordinator.cancelled" if had else "coordinator.nothing_to_cancel"))]

    # --- search and show -------------------------------------------------------------------------

    async def search(self, turn: Turn, args: str) -> list[Reply]:
        if not fold(args).split():
            return [Reply(turn.t("coordinator.search_usage"))]
        hits = search_entries(self.knowledge, args)
        if not hits:
            return [Reply(turn.t("coordinator.search_none", words=args.strip()))]
        buttons = [[Button(self._short(entry.question.get(turn.lang), 60), f"co:s:{entry.id}")]
                   for entry in hits[:SEARCH_LIMIT]]
        return [Reply(turn.t("coordinator.search_hits", count=len(hits), words=args.strip()), buttons=buttons)]

    async def show_command(self, turn: Turn, args: str) -> list[Reply]:
        return self._show(turn, args.strip()) or [Reply(turn.t("coordinator.unknown_entry", id=args.strip()))]

    def _show(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        entry = self._entry(entry_id)
        if entry is None:
            return None
        if entry_id.startswith(GUIDE_PREFIX):
            return self._show_step(turn, entry_id, entry)
        lines = [turn.t("coordinator.entry_heading", id=entry.id, reviewed=entry.reviewed.isoformat())]
        if entry.retired:
            lines.append(turn.t("coordinator.entry_retired"))
        for lang in ("sv", "en"):
            answer = self._short(entry.answer.get(lang))
            if entry.lead is not None:
                answer = turn.t("coordinator.entry_answer_lead", lead=entry.lead.get(lang), answer=answer)
            lines.append(turn.t("coordinator.entry_lang", language=lang, question=entry.question.get(lang),
                                answer=answer,
                                alternates="; ".join(entry.alternates.get(lang))))
        lines.append(turn.t("coordinator.entry_meta", authorities=", ".join(entry.authorities),
                            topics=", ".join(entry.topics), source=self._short(entry.source, 120)))
        buttons = [
            [Button(turn.t("coordinator.edit_button"), f"co:e:{entry.id}"),
             Button(turn.t("coordinator.history_button"), f"co:h:{entry.id}")],
            [Button(turn.t("coordinator.alt_button", language="sv"), f"co:a:{entry.id}:sv"),
             Button(turn.t("coordinator.alt_button", language="en"), f"co:a:{entry.id}:en")],
            [Button(turn.t("coordinator.reviewed_button"), f"co:d:{entry.id}")],
        ]
        if not entry.retired:
            buttons[-1].append(Button(turn.t("coordinator.retire_button"), f"co:r:{entry.id}"))
        return [Reply("\n\n".join(lines), buttons=buttons)]

    # --- the start guide's steps -----------------------------------------------------------------

    async def guide_command(self, turn: Turn, args: str) -> list[Reply]:
        step_id = args.strip().removeprefix(GUIDE_PREFIX)
        if step_id:
            return self._show(turn, GUIDE_PREFIX + step_id) or [Reply(turn.t("coordinator.unknown_step", id=step_id))]
        steps = self.knowledge.guide
        if not steps:
            return [Reply(turn.t("guide.none"))]
        lines = [turn.t("coordinator.guide_heading", count=len(steps))]
        lines += [turn.t("coordinator.guide_line", number=i, id=s.id, title=s.title.get(turn.lang),
                         reviewed=s.reviewed.isoformat()) for i, s in enumerate(steps, start=1)]
        buttons = [[Button(f"{i}. {self._short(s.title.get(turn.lang), 50)}", f"co:s:{GUIDE_PREFIX}{s.id}")]
                   for i, s in enumerate(steps, start=1)]
        return [Reply("\n".join(lines), buttons=buttons)]

    async def guide_edit_command(self, turn: Turn, args: str) -> list[Reply]:
        step_id = args.strip().removeprefix(GUIDE_PREFIX)
        if not step_id:
            return [Reply(turn.t("coordinator.guide_edit_usage"))]
        return await self._choose_field(turn, GUIDE_PREFIX + step_id) or [Reply(turn.t("coordinator.unknown_step", id=step_id))]

    def _show_step(self, turn: Turn, entry_id: str, step) -> list[Reply]:
        lines = [turn.t("coordinator.step_heading", id=step.id, reviewed=step.reviewed.isoformat())]
        for lang in ("sv", "en"):
            lines.append(turn.t("coordinator.step_lang", language=lang, title=step.title.get(lang),
                                body=self._short(step.body.get(lang)), ask="; ".join(step.ask.get(lang))))
        lines.append(turn.t("coordinator.step_meta", authorities=", ".join(step.authorities), faq=", ".join(step.faq),
                            topics=", ".join(step.topics), source=self._short(step.source, 120)))
        buttons = [[Button(turn.t("coordinator.edit_button"), f"co:e:{entry_id}"),
                    Button(turn.t("coordinator.history_button"), f"co:h:{entry_id}")],
                   [Button(turn.t("coordinator.reviewed_button"), f"co:d:{entry_id}")]]
        return [Reply("\n\n".join(lines), buttons=buttons)]

    # --- editing a field -------------------------------------------------------------------------

    async def edit_command(self, turn: Turn, args: str) -> list[Reply]:
        entry_id = args.strip()
        if not entry_id:
            return [Reply(turn.t("coordinator.edit_usage"))]
        return await self._choose_field(turn, entry_id) or [Reply(turn.t("coordinator.unknown_entry", id=entry_id))]

    async def _choose_field(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        if self._entry(entry_id) is None:
            return None
        try:
            version = await self.editing.version(entry_id)
        except EditRefused as exc:
            return self._refused(turn, exc)
        turn.session.start("co", "field", id=entry_id, version=version)
        buttons = []
        for field, per_language in self._fields(entry_id).items():
            name = turn.t(f"coordinator.field_{field}")
            buttons.append([Button(f"{name} ({lang})", f"co:f:{field}:{lang}") for lang in ("sv", "en")] if per_language
                           else [Button(name, f"co:f:{field}:-")])
        return [Reply(turn.t("coordinator.choose_field", id=entry_id), buttons=buttons)]

    async def _pick_field(self, turn: Turn, rest: str) -> list[Reply] | None:
        field, _, lang = rest.partition(":")
        fields = self._fields(turn.session.data.get("id", ""))
        if turn.session.flow != "co" or "id" not in turn.session.data or field not in fields:
            return [Reply(turn.t("coordinator.stale_button"))]
        if fields[field] and lang not in ("sv", "en"):
            return None
        entry = self._entry(turn.session.data["id"])
        if entry is None:
            return [Reply(turn.t("coordinator.unknown_entry", id=turn.session.data["id"]))]
        current = _current(entry, field, lang if fields[field] else None)
        turn.session.step = "text"
        turn.session.data.update(kind="set", field=field, lang=lang if fields[field] else None)
        if field == "lead":
            return [Reply(turn.t("coordinator.ask_lead", current=current))]
        return [Reply(turn.t("coordinator.ask_text", field=turn.t(f"coordinator.field_{field}"),
                             language=lang if fields[field] else "-", current=current))]

    async def _start_alternate(self, turn: Turn, rest: str) -> list[Reply] | None:
        entry_id, _, lang = rest.rpartition(":")
        if lang not in ("sv", "en") or entry_id.startswith(GUIDE_PREFIX) or self._entry(entry_id) is None:
            return None
        try:
            version = await self.editing.version(entry_id)
        except EditRefused as exc:
            return self._refused(turn, exc)
        turn.session.start("co", "text", id=entry_id, version=version, kind="alt", lang=lang)
        return [Reply(turn.t("coordinator.ask_alternate", id=entry_id, language=lang))]

    async def text_step(self, turn: Turn, text: str) -> list[Reply]:
        if not await self._allowed(turn):
            turn.session.clear()
            return [Reply(turn.t("roles.refused_coordinator"))]
        data = turn.session.data
        entry = self._entry(data.get("id", ""))
        if entry is None:
            turn.session.clear()
            return [Reply(turn.t("coordinator.unknown_entry", id=data.get("id", "")))]
        if data.get("field") == "lead":
            try:
                parse_lead(text)
            except ValueError:
                return [Reply(turn.t("coordinator.lead_format", max=LEAD_MAX))]  # still waiting for the text
        data["text"] = text
        turn.session.step = "preview"
        if data.get("kind") == "alt":
            preview = turn.t("coordinator.preview_alternate", id=entry.id, language=data["lang"], text=text)
        else:
            field, lang = data["field"], data.get("lang")
            before = _current(entry, field, lang)
            preview = turn.t("coordinator.preview_change", id=entry.id, field=turn.t(f"coordinator.field_{field}"),
                             language=lang or "-", before=before, after=text)
        return [Reply(preview, buttons=self._confirm_buttons(turn))]

    def _confirm_buttons(self, turn: Turn) -> list[list[Button]]:
        return [[Button(turn.t("coordinator.confirm_button"), "co:ok"), Button(turn.t("coordinator.cancel_button"), "co:no")]]

    # --- confirming --------------------------------------------------------------------------------

    async def _confirm(self, turn: Turn) -> list[Reply]:
        data = dict(turn.session.data) if turn.session.flow == "co" and turn.session.step == "preview" else None
        if not data:
            return [Reply(turn.t("coordinator.stale_button"), replaces_pressed=True)]
        turn.session.clear()
        kind, who = data.get("kind"), turn.address
        try:
            if kind == "set":
                field, lang, text = data["field"], data.get("lang"), data["text"]

                def mutate(node) -> None:
                    if field == "lead":
                        set_lead(node, parse_lead(text))
                    else:
                        set_text(node, field, lang, text)

                change = await self.editing.update(who, data["id"], data["version"], f"{field}.{lang}" if lang else field,
                                                   mutate)
            elif kind == "alt":
                lang, text = data["lang"], data["text"]
                change = await self.editing.update(who, data["id"], data["version"], f"alternates.{lang}",
                                                   lambda node: add_alternate(node, lang, text))
            elif kind == "retire":
                change = await self.editing.update(who, data["id"], data["version"], "retired",
                                                   lambda node: node.__setitem__("retired", True))
            elif kind == "revert":
                change = await self.editing.revert(who, int(data["hid"]), data["version"])
            elif kind == "create":
                change = await self.editing.create(who, data["entry"])
                await mark_handled(self.app.db, data.get("rows", []))
            elif kind == "cluster_alts":
                texts, lang = data["texts"], data["lang"]

                def add_all(node) -> None:
                    for text in texts:
                        add_alternate(node, lang, text)

                change = await self.editing.update(who, data["id"], data["version"], f"alternates.{lang}", add_all)
                await mark_handled(self.app.db, data.get("rows", []))
            else:
                return [Reply(turn.t("coordinator.stale_button"), replaces_pressed=True)]
        except EditRefused as exc:
            return self._refused(turn, exc)
        log.info("faq entry changed by a coordinator (%s)", kind)
        return [Reply(turn.t("coordinator.saved", id=change.entry_id), replaces_pressed=True,
                      buttons=[[Button(turn.t("coordinator.show_button"), f"co:s:{change.entry_id}"),
                                Button(turn.t("coordinator.history_button"), f"co:h:{change.entry_id}")]])]

    # --- retire, reviewed ------------------------------------------------------------------------

    async def _retire(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        entry = self.knowledge.entries.get(entry_id)
        if entry is None:
            return None
        try:
            version = await self.editing.version(entry_id)
        except EditRefused as exc:
            return self._refused(turn, exc)
        turn.session.start("co", "preview", id=entry_id, version=version, kind="retire")
        return [Reply(turn.t("coordinator.preview_retire", id=entry_id, question=entry.question.get(turn.lang)),
                      buttons=self._confirm_buttons(turn))]

    async def _mark_reviewed(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        if self._entry(entry_id) is None:
            return None
        today = turn.now.astimezone(STOCKHOLM).date()
        try:
            version = await self.editing.version(entry_id)
            await self.editing.update(turn.address, entry_id, version, "reviewed", lambda node: set_reviewed(node, today))
        except EditRefused as exc:
            return self._refused(turn, exc)
        return [Reply(turn.t("coordinator.reviewed_done", id=entry_id, date=today.isoformat()))]

    # --- history and revert ----------------------------------------------------------------------

    async def history_command(self, turn: Turn, args: str) -> list[Reply]:
        entry_id = args.strip()
        if not entry_id:
            return [Reply(turn.t("coordinator.history_usage"))]
        return await self._history(turn, entry_id)

    async def _history(self, turn: Turn, entry_id: str) -> list[Reply]:
        rows = await self.editing.history(entry_id)
        if not rows:
            return [Reply(turn.t("coordinator.history_none", id=entry_id))]
        lines = [turn.t("coordinator.history_heading", id=entry_id)]
        buttons = []
        for row in rows:
            when = datetime.fromisoformat(row["created_at"]).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
            lines.append(turn.t("coordinator.history_line", number=row["id"], when=when, field=row["field"],
                                who=row["editor"] or turn.t("coordinator.erased_editor"),
                                change=self._short(_describe(row["before"], row["after"], row["field"]), 300)))
            buttons.append([Button(turn.t("coordinator.revert_button", number=row["id"]), f"co:v:{row['id']}")])
        return [Reply("\n".join(lines), buttons=buttons)]

    async def _revert(self, turn: Turn, hid: str) -> list[Reply] | None:
        if not hid.isdigit():
            return None
        row = await self.editing.history_row(int(hid))
        if row is None:
            return None
        try:
            version = await self.editing.version(row["entry_id"])
        except EditRefused as exc:
            return self._refused(turn, exc)
        turn.session.start("co", "preview", id=row["entry_id"], version=version, kind="revert", hid=int(hid))
        key = "coordinator.preview_revert" if row["before"] else "coordinator.preview_revert_created"
        return [Reply(turn.t(key, id=row["entry_id"], number=hid,
                             change=self._short(_describe(row["before"], row["after"], row["field"]), 400)),
                      buttons=self._confirm_buttons(turn))]

    # --- creating an entry -----------------------------------------------------------------------

    async def new_command(self, turn: Turn, args: str) -> list[Reply]:
        turn.session.start("co", "form", index=0, values={}, rows=[], suggested={})
        return [Reply(turn.t("coordinator.new_intro")), self._ask_form(turn)]

    def _ask_form(self, turn: Turn) -> Reply:
        field, lang = NEW_ENTRY_FORM[turn.session.data["index"]]
        key = f"{field}.{lang}" if lang else field
        params: dict[str, Any] = {"language": lang or "-"}
        if field == "authorities":
            params["known"] = ", ".join(sorted(a for a, x in self.knowledge.authorities.items() if not x.municipality))
        elif field == "topics":
            params["known"] = ", ".join(sorted(self.knowledge.topics))
        elif field == "alternates":
            params["min"] = MIN_ALTERNATES[lang]
        text = turn.t(f"coordinator.form_{field}", **params)
        suggested = turn.session.data.get("suggested", {}).get(key)
        if suggested:
            text += "\n" + turn.t("coordinator.form_suggested", suggestion="; ".join(suggested) if isinstance(suggested, list) else suggested)
        return Reply(text)

    async def form_step(self, turn: Turn, text: str) -> list[Reply]:
        if not await self._allowed(turn):
            turn.session.clear()
            return [Reply(turn.t("roles.refused_coordinator"))]
        data = turn.session.data
        field, lang = NEW_ENTRY_FORM[data["index"]]
        key = f"{field}.{lang}" if lang else field
        suggested = data.get("suggested", {}).get(key)
        if suggested and text.strip().lower() in ("ok", "ja", "yes"):
            value: Any = suggested
        elif field in ("alternates", "authorities", "topics"):
            value = [v for v in LIST_SEPARATOR.split(text) if v] if field == "alternates" else \
                [v.strip().lower() for v in re.split(r"[,;\s]+", text) if v.strip()]
        else:
            value = text
        problem = self._form_problem(turn, field, lang, value)
        if problem:
            return [Reply(problem)]
        data["values"][key] = value
        data["index"] += 1
        if data["index"] < len(NEW_ENTRY_FORM):
            return [self._ask_form(turn)]
        entry = self._entry_from_form(turn, data["values"])
        turn.session.start("co", "preview", kind="create", entry=entry, rows=data.get("rows", []))
        return [Reply(turn.t("coordinator.preview_new", id=entry["id"], question=entry["question"]["sv"],
                             answer=self._short(entry["answer"]["sv"]), alternates="; ".join(entry["alternates"]["sv"]),
                             authorities=", ".join(entry["authorities"]), topics=", ".join(entry["topics"])),
                      buttons=self._confirm_buttons(turn))]

    def _form_problem(self, turn: Turn, field: str, lang: str | None, value: Any) -> str | None:
        if field == "alternates":
            if len(value) < MIN_ALTERNATES[lang or "sv"]:
                return turn.t("coordinator.form_too_few", min=MIN_ALTERNATES[lang or "sv"])
        elif field == "authorities":
            unknown = [v for v in value if v not in self.knowledge.authorities]
            if unknown or not value:
                return turn.t("coordinator.form_unknown", values=", ".join(unknown) or "-")
        elif field == "topics":
            unknown = [v for v in value if v not in self.knowledge.topics]
            if unknown or not value:
                return turn.t("coordinator.form_unknown", values=", ".join(unknown) or "-")
        elif not str(value).strip():
            return turn.t("coordinator.form_empty")
        return None

    def _entry_from_form(self, turn: Turn, values: dict[str, Any]) -> dict[str, Any]:
        entry = {
            "id": self._new_id(values["question.sv"]),
            "question": {"sv": values["question.sv"], "en": values["question.en"]},
            "alternates": {"sv": values["alternates.sv"], "en": values["alternates.en"]},
            "answer": {"sv": values["answer.sv"], "en": values["answer.en"]},
            "authorities": values["authorities"],
            "topics": values["topics"],
            "source": values["source"],
            "reviewed": turn.now.astimezone(STOCKHOLM).date().isoformat(),
        }
        return entry

    def _new_id(self, question: str) -> str:
        return new_entry_id(self.knowledge, question)

    # --- unanswered clusters ---------------------------------------------------------------------

    async def clusters_command(self, turn: Turn, args: str) -> list[Reply]:
        """/obesvarade [PAGE]: every group of unanswered questions, CLUSTER_PAGE to a page."""
        page = args.strip()
        return await self._clusters_page(turn, page if page.isdigit() else "1", pressed=False)

    async def _clusters_page(self, turn: Turn, arg: str, pressed: bool = True) -> list[Reply] | None:
        if not arg.isdigit():
            return None
        clusters = await unanswered_clusters(self.app.db)
        if not clusters:
            return [Reply(turn.t("coordinator.clusters_none"), replaces_pressed=pressed)]
        pages = -(-len(clusters) // CLUSTER_PAGE)
        page = min(max(int(arg), 1), pages)  # a page that no longer exists shows the nearest one
        first = (page - 1) * CLUSTER_PAGE
        lines = [turn.t("coordinator.clusters_heading", count=len(clusters), page=page, pages=pages)]
        buttons = []
        for n, c in enumerate(clusters[first:first + CLUSTER_PAGE], first + 1):
            lines.append(turn.t("coordinator.cluster_line", number=n, count=c.count, language=c.lang,
                                example=self._short(c.examples[0], 80)))
            buttons.append([Button(f"{n}. {self._short(c.examples[0], 40)} ({c.count})", f"co:c:{c.key}")])
        paging = []
        if page > 1:
            paging.append(Button(turn.t("coordinator.clusters_previous_page"), f"co:cp:{page - 1}"))
        if page < pages:
            paging.append(Button(turn.t("coordinator.clusters_next_page"), f"co:cp:{page + 1}"))
        if paging:
            buttons.append(paging)
        return [Reply("\n".join(lines), buttons=buttons, replaces_pressed=pressed)]

    async def _cluster(self, turn: Turn, key: str) -> list[Reply] | None:
        cluster = await find_cluster(self.app.db, int(key)) if key.isdigit() else None
        if cluster is None:
            return [Reply(turn.t("coordinator.cluster_gone"))]
        lines = [turn.t("coordinator.cluster_heading", count=cluster.count, language=cluster.lang)]
        lines += [f"– {self._short(t, 150)}" for t in cluster.examples]
        buttons = [[Button(turn.t("coordinator.cluster_new_button"), f"co:cn:{cluster.key}")]]
        for faq_id in cluster.best_faq_ids[:3]:
            entry = self.knowledge.entries.get(faq_id)
            if entry is not None:
                buttons.append([Button(turn.t("coordinator.cluster_add_to", question=self._short(entry.question.get(turn.lang), 40)),
                                       f"co:ct:{cluster.key}:{faq_id}")])
        buttons.append([Button(turn.t("coordinator.cluster_other_button"), f"co:ca:{cluster.key}"),
                        Button(turn.t("coordinator.cluster_dismiss_button"), f"co:cx:{cluster.key}")])
        return [Reply("\n".join(lines), buttons=buttons)]

    def _fresh_texts(self, texts: list[str], lang: str) -> list[str]:
        return fresh_phrasings(self.knowledge, texts, lang)

    async def _cluster_new(self, turn: Turn, key: str) -> list[Reply] | None:
        cluster = await find_cluster(self.app.db, int(key)) if key.isdigit() else None
        if cluster is None:
            return [Reply(turn.t("coordinator.cluster_gone"))]
        texts = self._fresh_texts(cluster.texts, cluster.lang)
        suggested = {f"alternates.{cluster.lang}": texts[:8]} if len(texts) >= MIN_ALTERNATES[cluster.lang] else {}
        suggested[f"question.{cluster.lang}"] = texts[0] if texts else cluster.examples[0]
        turn.session.start("co", "form", index=0, values={}, rows=cluster.row_ids, suggested=suggested)
        return [Reply(turn.t("coordinator.new_intro")), self._ask_form(turn)]

    async def _cluster_ask_target(self, turn: Turn, key: str) -> list[Reply] | None:
        if not key.isdigit():
            return None
        turn.session.start("co", "target", cluster=int(key))
        return [Reply(turn.t("coordinator.ask_target"))]

    async def target_step(self, turn: Turn, text: str) -> list[Reply]:
        if not await self._allowed(turn):
            turn.session.clear()
            return [Reply(turn.t("roles.refused_coordinator"))]
        entry_id = text.strip().lower()
        if entry_id not in self.knowledge.entries:
            return [Reply(turn.t("coordinator.unknown_entry", id=entry_id))]
        return await self._cluster_to(turn, f"{turn.session.data.get('cluster')}:{entry_id}")

    async def _cluster_to(self, turn: Turn, rest: str) -> list[Reply] | None:
        key, _, entry_id = rest.partition(":")
        cluster = await find_cluster(self.app.db, int(key)) if key.isdigit() else None
        if cluster is None:
            turn.session.clear()
            return [Reply(turn.t("coordinator.cluster_gone"))]
        if entry_id not in self.knowledge.entries:
            return None
        texts = self._fresh_texts(cluster.texts, cluster.lang)
        try:
            version = await self.editing.version(entry_id)
        except EditRefused as exc:
            return self._refused(turn, exc)
        turn.session.start("co", "preview", kind="cluster_alts", id=entry_id, version=version, lang=cluster.lang,
                           texts=texts, rows=cluster.row_ids)
        return [Reply(turn.t("coordinator.preview_cluster_alts", id=entry_id, language=cluster.lang,
                             texts="\n".join(f"– {t}" for t in texts) or "-"),
                      buttons=self._confirm_buttons(turn))]

    async def _cluster_dismiss(self, turn: Turn, key: str) -> list[Reply] | None:
        cluster = await find_cluster(self.app.db, int(key)) if key.isdigit() else None
        if cluster is None:
            return [Reply(turn.t("coordinator.cluster_gone"))]
        await mark_handled(self.app.db, cluster.row_ids)
        return [Reply(turn.t("coordinator.cluster_dismissed", count=cluster.count), replaces_pressed=True)]

    # --- stale entries, reports, reload ----------------------------------------------------------

    async def stale_command(self, turn: Turn, args: str) -> list[Reply]:
        return [stale_reply(self.app, turn.t, turn.lang, turn.now)]

    async def report_command(self, turn: Turn, args: str) -> list[Reply]:
        end = turn.now.astimezone(STOCKHOLM).date()
        report = await build_report(self.app.db, end - timedelta(days=6), end)
        return [Reply(report_text(report, turn.t))]

    async def reload_command(self, turn: Turn, args: str) -> list[Reply]:
        problems = await self.app.knowledge.refresh()
        if problems:
            return [Reply(problems_text(turn.t, problems))]
        k = self.knowledge
        return [Reply(turn.t("coordinator.reloaded", entries=len(k.entries)))]

    # --- buttons ---------------------------------------------------------------------------------

    async def button(self, turn: Turn, rest: str) -> list[Reply] | None:
        action, _, arg = rest.partition(":")
        if action == "ok":
            return await self._confirm(turn)
        if action == "no":
            turn.session.clear()
            return [Reply(turn.t("coordinator.cancelled"), replaces_pressed=True)]
        handlers = {
            "s": lambda: self._show_async(turn, arg),
            "e": lambda: self._choose_field(turn, arg),
            "f": lambda: self._pick_field(turn, arg),
            "a": lambda: self._start_alternate(turn, arg),
            "r": lambda: self._retire(turn, arg),
            "d": lambda: self._mark_reviewed(turn, arg),
            "h": lambda: self._history(turn, arg),
            "v": lambda: self._revert(turn, arg),
            "c": lambda: self._cluster(turn, arg),
            "cp": lambda: self._clusters_page(turn, arg),
            "cn": lambda: self._cluster_new(turn, arg),
            "ca": lambda: self._cluster_ask_target(turn, arg),
            "ct": lambda: self._cluster_to(turn, arg),
            "cx": lambda: self._cluster_dismiss(turn, arg),
        }
        handler = handlers.get(action)
        return await handler() if handler else None

    async def _show_async(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        return self._show(turn, entry_id)


def parse_lead(text: str) -> dict[str, str] | None:
    """A lead as a coordinator types it: "Nej. | No." -> {"sv": "Nej.", "en": "No."}; "-" -> None (no lead).

    Raises ValueError unless both languages are given, non-empty and at most LEAD_MAX characters.
    """
    text = text.strip()
    if text == NO_LEAD:
        return None
    parts = [p.strip() for p in text.split(LEAD_SEPARATOR)]
    if len(parts) != 2 or not all(0 < len(p) <= LEAD_MAX for p in parts):
        raise ValueError(text)
    return {"sv": parts[0], "en": parts[1]}


def _current(entry, field: str, lang: str | None) -> str:
    """A field's text as the editor shows it before a change (a lead in both languages, "-" when none)."""
    if field == "lead":
        lead = getattr(entry, "lead", None)
        return f"{lead.sv} {LEAD_SEPARATOR} {lead.en}" if lead is not None else NO_LEAD
    return getattr(entry, field).get(lang) if lang else entry.source


def _describe(before: str | None, after: str, field: str) -> str:
    """What a history row changed, in one line: the differing values of the entry before and after."""
    if before is None:
        return json.loads(after).get("question", {}).get("sv", "")
    b, a = json.loads(before), json.loads(after)
    parts = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            parts.append(f"{key}: {_value(b.get(key), a.get(key))}")
    return "; ".join(parts) or "-"


def _value(before: Any, after: Any) -> str:
    if isinstance(before, dict) or isinstance(after, dict):  # also a field added or removed, such as a lead
        before, after = before or {}, after or {}
        return ", ".join(f"{lang} {_value(before.get(lang, ''), after.get(lang, ''))}" for lang in sorted({*before, *after})
                         if before.get(lang) != after.get(lang))
    if isinstance(before, list) and isinstance(after, list):
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        return " ".join([*(f"+«{v}»" for v in added), *(f"-«{v}»" for v in removed)])
    return f"«{_clip(before, 50)}» → «{_clip(after, 120)}»"


def _clip(value: Any, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problems_text(t, problems) -> str:
    lines = [t("coordinator.reload_failed", count=len(problems))]
    for p in iter_problems_sorted(problems)[:10]:
        message = t(f"problems.{p.code}", **p.params)
        lines.append(t("problems.line", file=Path(p.file).name, entry=p.entry or "-", field=p.field or "-", message=message))
    return "\n".join(lines)


def stale_reply(app, t, lang: str, now: datetime) -> Reply:
    months = stale_months()
    today = now.astimezone(STOCKHOLM).date()
    knowledge = app.knowledge.current
    items = [(e.id, e.reviewed, e.question.get(lang)) for e in stale_entries(knowledge, today, months)]
    items += [(GUIDE_PREFIX + s.id, s.reviewed, s.title.get(lang)) for s in stale_entries(knowledge, today, months, guide=True)]
    if not items:
        return Reply(t("coordinator.stale_none", months=months))
    lines = [t("coordinator.stale_heading", count=len(items), months=months)]
    lines += [t("coordinator.stale_line", id=i, reviewed=reviewed.isoformat(), question=label)
              for i, reviewed, label in items[:15]]
    buttons = [[Button(t("coordinator.stale_confirm_button", id=i), f"co:d:{i}")] for i, _, _ in items[:8]]
    return Reply("\n".join(lines), buttons=buttons)


async def each_coordinator(app) -> AsyncIterator[tuple[str, str, Callable[..., str]]]:
    """Every coordinator's address and language, with a text function in that language (for messages the bot
    starts: the weekly ones in bot/coordinator_jobs.py, a broken reload in bot/knowledge_watch.py)."""
    for address in await app.roles.holders(COORDINATOR):
        lang = await app.users.lang_of(address) or app.settings.default_lang
        yield address, lang, (lambda key, _lang=lang, **p: app.catalogue.text(_lang, key, **p))
