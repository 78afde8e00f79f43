"""Questions the bot could not answer, in the web console (/admin/questions), for coordinators.

Groups of similar unanswered questions, largest first, every one of them paged (bot/reports.py, as /obesvarade
in the chat). A group's page shows its questions and the entry the matcher would suggest; one button adds the
questions as phrasings of that entry or of one found by search (through the chat's FAQ-editing service), a
link starts a new entry from them (the FAQ pages' form, which marks the group handled when saved), another
button ignores the group. After adding, the page runs the live matcher on each question and shows whether it
is now answered with that entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlencode

from aiohttp import web

from knowledge.editing import EditRefused, add_alternate
from knowledge.loader import bundled_dir, iter_problems_sorted
from knowledge.understanding import ANSWERED, understand

from ..faq_service import FaqEditing, fresh_phrasings, search_entries
from ..reports import Cluster, find_cluster, mark_handled, unanswered_clusters
from ..roles import COORDINATOR
from . import current_user, form, render, requires, see_other, texts as catalogue_texts, url

if TYPE_CHECKING:
    from ..app import App

GROUPS_PER_PAGE = 20
SEARCH_LIMIT = 20
NEW_ENTRY_ALTERNATES = 8  # phrasings carried to the new-entry form, as the chat's /obesvarade suggests
SUGGESTIONS = 3  # entries suggested for a group
RANKED_TEXTS = 10  # of a group's questions, those ranked by the matcher for a suggestion
MAX_ROWS_SHOWN = 500  # row ids on the page after adding (a group is never near this in practice)


# --- plain functions over the knowledge ----------------------------------------------------------------


def suggested_entries(knowledge: Any, matcher: Any, cluster: Cluster, limit: int = SUGGESTIONS) -> list[Any]:
    """The entries the matcher suggests for the group: those it offered when the questions were asked
    (`best_faq_ids`), then those it ranks highest for the questions now (scores summed over the group's
    questions; below the answering threshold, or they would have been answered)."""
    scores: dict[str, float] = {}
    for text in cluster.texts[:RANKED_TEXTS]:
        for candidate in matcher.rank(text, cluster.lang, limit=limit):
            scores[candidate.entry_id] = scores.get(candidate.entry_id, 0.0) + candidate.score
    ranked = sorted(scores, key=lambda entry_id: -scores[entry_id])
    ids = list(dict.fromkeys([*cluster.best_faq_ids, *ranked]))
    return [knowledge.entries[i] for i in ids if i in knowledge.entries][:limit]


def new_entry_link(base: str, cluster: Cluster, knowledge: Any) -> str:
    """The FAQ pages' new-entry form filled in from the group: its first fresh question, the rest as phrasings."""
    texts = fresh_phrasings(knowledge, cluster.texts, cluster.lang) or cluster.examples[:1]
    query = [("lang", cluster.lang), ("question", texts[0])]
    query += [("alternate", text) for text in texts[1:1 + NEW_ENTRY_ALTERNATES]]
    query.append(("group", str(cluster.key)))
    return f"{base}/faq/new?{urlencode(query)}"


def answered_by(app: "App", text: str, lang: str) -> str | None:
    """The entry the running bot answers `text` with now (the matcher the engine uses), None when it does not
    answer it."""
    store = app.knowledge
    u = understand(text, store.current, store.matcher, lang_hint=lang)
    return u.faq_id if u.intent in ANSWERED and u.faq_id else None


# --- pages ---------------------------------------------------------------------------------------------


class QuestionPages:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.editing = FaqEditing(app)

    @property
    def knowledge(self) -> Any:
        return self.app.knowledge.current

    def _writable(self) -> bool:
        return self.editing.editor.writable

    def _knowledge_dir(self) -> str:
        return str(self.app.knowledge.directory or bundled_dir())

    def _t(self, request: web.Request) -> Callable[..., str]:
        user = current_user(request)
        return catalogue_texts(self.app, user.lang if user else self.app.settings.default_lang)

    async def _cluster(self, request: web.Request) -> Cluster | None:
        key = request.match_info["key"]
        return await find_cluster(self.app.db, int(key)) if key.isdigit() and len(key) < 19 else None

    def _gone(self, request: web.Request) -> web.Response:
        return render(request, "questions_gone.html", status=404)

    @requires(COORDINATOR)
    async def groups(self, request: web.Request) -> web.StreamResponse:
        clusters = await unanswered_clusters(self.app.db)
        pages = max(1, -(-len(clusters) // GROUPS_PER_PAGE))
        asked = request.query.get("page", "1")
        page = min(max(int(asked), 1), pages) if asked.isdigit() and len(asked) < 9 else 1
        first = (page - 1) * GROUPS_PER_PAGE
        shown = [(number, c, suggested_entries(self.knowledge, self.app.knowledge.matcher, c, 1))
                 for number, c in enumerate(clusters[first:first + GROUPS_PER_PAGE], first + 1)]
        ignored = request.query.get("ignored", "")
        return render(request, "questions_groups.html", groups=shown, total=len(clusters), page=page, pages=pages,
                      ignored=int(ignored) if ignored.isdigit() and len(ignored) < 9 else None)

    async def _group_page(self, request: web.Request, cluster: Cluster, status: int = 200,
                          problems: list[str] | None = None) -> web.Response:
        query = request.query.get("q", "").strip()[:200]
        found = search_entries(self.knowledge, query)[:SEARCH_LIMIT]
        return render(request, "questions_group.html", status=status, group=cluster,
                      suggested=suggested_entries(self.knowledge, self.app.knowledge.matcher, cluster),
                      query=query, found=found,
                      fresh=fresh_phrasings(self.knowledge, cluster.texts, cluster.lang),
                      writable=self._writable(), knowledge_dir=self._knowledge_dir(), problems=problems or [],
                      new_entry=new_entry_link(url(request), cluster, self.knowledge))

    @requires(COORDINATOR)
    async def group(self, request: web.Request) -> web.StreamResponse:
        cluster = await self._cluster(request)
        if cluster is None:
            return self._gone(request)
        return await self._group_page(request, cluster)

    @requires(COORDINATOR)
    async def add(self, request: web.Request) -> web.StreamResponse:
        """Adds the group's questions that are not yet phrasings to the chosen entry, marks the group handled and
        goes to the page that shows what the matcher answers now."""
        cluster = await self._cluster(request)
        if cluster is None:
            return self._gone(request)
        t = self._t(request)
        if not self._writable():
            return await self._group_page(request, cluster, status=409)  # the page says how to make it editable
        entry_id = (await form(request)).get("entry", "").strip()
        if entry_id not in self.knowledge.entries:
            return await self._group_page(request, cluster, status=400,
                                          problems=[t("admin.questions.unknown_entry", id=entry_id[:80])])
        texts = fresh_phrasings(self.knowledge, cluster.texts, cluster.lang)
        if texts:
            lang = cluster.lang

            def add_all(node) -> None:
                for text in texts:
                    add_alternate(node, lang, text)

            user = current_user(request)
            try:
                version = await self.editing.version(entry_id)
                await self.editing.update(user.address if user else None, entry_id, version, f"alternates.{lang}",
                                          add_all)
            except EditRefused as exc:
                return await self._group_page(request, cluster, status=409, problems=self._refusal(t, exc))
        await mark_handled(self.app.db, cluster.row_ids)
        rows = ",".join(str(i) for i in sorted(cluster.row_ids)[:MAX_ROWS_SHOWN])
        query = urlencode({"entry": entry_id, "rows": rows, "added": len(texts)})
        raise see_other(request, f"/questions/added?{query}")

    @staticmethod
    def _refusal(t, exc: EditRefused) -> list[str]:
        if exc.code == "invalid":
            return [t("admin.questions.invalid")] + [
                t("coordinator.problem_line", entry=p.entry or "-", field=p.field or "-",
                  message=t(f"problems.{p.code}", **p.params))
                for p in iter_problems_sorted(exc.problems)[:8]]
        if exc.code == "conflict":
            return [t("admin.questions.conflict", id=exc.params.get("id", ""))]
        return [t(f"coordinator.refused_{exc.code}", id=exc.params.get("id", ""))]

    @requires(COORDINATOR)
    async def ignore(self, request: web.Request) -> web.StreamResponse:
        cluster = await self._cluster(request)
        if cluster is None:
            return self._gone(request)
        await mark_handled(self.app.db, cluster.row_ids)
        raise see_other(request, f"/questions?ignored={cluster.count}")

    @requires(COORDINATOR)
    async def added(self, request: web.Request) -> web.StreamResponse:
        """After adding: each question of the group and whether the running bot answers it with the entry now."""
        entry_id = request.query.get("entry", "")
        entry = self.knowledge.entries.get(entry_id)
        ids = [int(i) for i in request.query.get("rows", "").split(",") if i.isdigit() and len(i) < 19]
        rows = []
        if ids and entry is not None:
            marks = ",".join("?" * len(ids[:MAX_ROWS_SHOWN]))
            rows = await self.app.db.fetchall(
                f"SELECT id, text, lang FROM unanswered WHERE id IN ({marks}) ORDER BY created_at DESC, id DESC",
                ids[:MAX_ROWS_SHOWN])
        if entry is None or not rows:
            return self._gone(request)
        checked, seen = [], set()
        for row in rows:
            text = str(row["text"]).strip()
            if text.casefold() in seen:
                continue
            seen.add(text.casefold())
            found = answered_by(self.app, text, str(row["lang"]))
            other = self.knowledge.entries.get(found) if found and found != entry_id else None
            checked.append({"text": text, "lang": row["lang"], "answered": found == entry_id, "other": other})
        added = request.query.get("added", "")
        return render(request, "questions_added.html", entry=entry, checked=checked,
                      added=int(added) if added.isdigit() and len(added) < 9 else None,
                      all_answered=all(c["answered"] for c in checked))


def add_routes(admin: web.Application, app: "App") -> None:
    pages = QuestionPages(app)
    admin.router.add_get("/questions", pages.groups)
    admin.router.add_get("/questions/added", pages.added)
    admin.router.add_get("/questions/{key}", pages.group)
    admin.router.add_post("/questions/{key}/add", pages.add)
    admin.router.add_post("/questions/{key}/ignore", pages.ignore)
