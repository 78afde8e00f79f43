"""The start guide's steps in the web console (/admin/guide), for coordinators: the steps in order, a step in both
languages, editing the whole step with the same check, diff, conflict warning, history and revert as the FAQ
(bot/admin/faq.py's pages, written through bot/faq_service.py as `/guide_andra` in the chat writes them: the
editor's id `guide/<step id>`, history in faq_history)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from knowledge.editing import GUIDE_PREFIX

from ..reports import months_before, stale_months
from ..roles import COORDINATOR
from . import requires
from .faq import EntryPages, Shape, add_entry_routes, today

if TYPE_CHECKING:
    from ..app import App

GUIDE_SHAPE = Shape("guide", GUIDE_PREFIX, (("title", False), ("body", True)), ("ask",), ("authorities", "faq", "topics"))


class GuidePages(EntryPages):
    def __init__(self, app: "App") -> None:
        super().__init__(app, GUIDE_SHAPE)

    def item(self, item_id: str) -> Any:
        return self.app.knowledge.current.guide_step(item_id)

    @requires(COORDINATOR)
    async def index(self, request: web.Request) -> web.StreamResponse:
        cutoff = months_before(today(self.app), stale_months())
        return self._page(request, "list.html", steps=list(enumerate(self.app.knowledge.current.guide, start=1)),
                          cutoff=cutoff, months=stale_months())

    @requires(COORDINATOR)
    async def show(self, request: web.Request) -> web.StreamResponse:
        item_id, step = self._known_or_404(request)
        knowledge = self.app.knowledge.current
        version = await self.editing.version(self.edit_id(item_id)) if self.editing.writable else ""
        return self._page(request, "step.html", step=step, item_id=item_id, version=version,
                          number=knowledge.guide.index(step) + 1, total=len(knowledge.guide),
                          stale=step.reviewed < months_before(today(self.app), stale_months()),
                          authorities={a: knowledge.authorities.get(a) for a in step.authorities},
                          entries={e: knowledge.entries.get(e) for e in step.faq},
                          topic_labels={x: knowledge.topics.get(x) for x in step.topics},
                          saved=request.query.get("saved"), reviewed=request.query.get("reviewed"))


def add_routes(admin: web.Application, app: "App") -> None:
    pages = GuidePages(app)
    admin.router.add_get("/guide", pages.index)
    admin.router.add_get("/guide/{id}", pages.show)
    add_entry_routes(admin, pages)
