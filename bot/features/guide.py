"""The start guide in chat: one step at a time, done / skip / back, "var är jag?", a checklist file.

Payloads `gd:<action>[:<step or entry id>]`. Progress is stored per address (bot/guide.py) as soon
as it changes, so the guide resumes after a restart and on the next visit. Booking from a step uses
the booking flow's own button; looking at a step remembers its topics so they come pre-selected.
"""

from __future__ import annotations

import functools

from knowledge import guide as path
from knowledge.guide import NOTE_MAX_CHARS, Progress
from knowledge.model import GuideStep

from ..answers import BOOK_PAYLOAD, HOME_AUTHORITIES, faq_reply, home_authority, overview_reply
from ..engine import Feature, Turn
from ..messages import Button, Reply
from .home import home_of


class GuideFeature(Feature):
    name = "guide"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {"/guide": self.open, "/var": self.where, "/checklista": self.checklist_command,
                         "/checklist": self.checklist_command}
        self.intents = {"guide": self.open, "where_am_i": self.where}
        self.payloads = {"gd": self.button}
        self.steps = {"guide.note": self.note_text}
        self.deep_links = {"guide": self.open}
        # typed at a step where no button means it ("avbryt", "börja om")
        self.navigation = {"gd:cancel": self.pause, "gd:restart": self.ask_reset}
        for meaning, action in (("done", "done"), ("skip", "skip"), ("next", "skip"), ("back", "back")):
            self.navigation[f"gd:{meaning}"] = functools.partial(self.typed_move, action)
        self.resume = {"gd": self.way_back}

    @property
    def service(self):
        return self.app.guide

    @property
    def guide(self) -> tuple[GuideStep, ...]:
        return self.app.knowledge.current.guide

    async def _save(self, turn: Turn, progress: Progress) -> None:
        await self.service.store.save(turn.address, progress, turn.now)

    # --- showing ------------------------------------------------------------------------------

    async def open(self, turn: Turn, _: str = "") -> list[Reply]:
        if turn.session.flow == "guide":
            turn.session.clear()
        if not self.guide:
            return [Reply(turn.t("guide.none"))]
        stored = await self.service.store.load(turn.address)
        progress = path.begin(self.guide, stored)
        if progress != stored:
            await self._save(turn, progress)
        fresh = not stored.started
        if progress.current is None:
            return [self._finished(turn, progress)]
        replies = [Reply(turn.t("guide.intro", total=len(self.guide)))] if fresh else []
        return replies + [self._step(turn, progress)]

    def _step(self, turn: Turn, progress: Progress, replaces: bool = False) -> Reply:
        step = path.current_step(self.guide, progress)
        assert step is not None
        knowledge = self.app.knowledge.current
        lang = turn.lang
        number = self.guide.index(step) + 1
        lines = [turn.t("guide.step_header", number=number, total=len(self.guide), title=step.title.get(lang)),
                 step.body.get(lang)]
        home = home_of(turn.user)
        helpers = [home_authority(knowledge.authorities[a], turn.t, home) if a in HOME_AUTHORITIES else knowledge.authorities[a]
                   for a in step.authorities if a in knowledge.authorities]
        if helpers:
            lines.append(turn.t("guide.who_helps") + "\n" + "\n".join(
                turn.t("guide.helper", name=a.name.get(lang), website=a.website) if a.website
                else turn.t("guide.helper_unlinked", name=a.name.get(lang)) for a in helpers))
        status = progress.statuses.get(step.id)
        if status:
            lines.append(turn.t(f"guide.status_{status}"))
        buttons = [[Button(knowledge.entries[e].question.get(lang), f"gd:faq:{e}")]
                   for e in step.faq if e in knowledge.entries]
        buttons.append([Button(turn.t("guide.done_button"), f"gd:done:{step.id}", "done yes"),
                        Button(turn.t("guide.skip_button"), f"gd:skip:{step.id}", "skip next")])
        nav = [Button(turn.t("guide.back_button"), f"gd:back:{step.id}", "back")] if number > 1 else []
        buttons.append(nav + [Button(turn.t("guide.where_button"), "gd:where")])
        last = [Button(turn.t("guide.checklist_button"), "gd:list")]
        if self.app.engine.can_book():
            last.insert(0, Button(turn.t("faq.book_button"), BOOK_PAYLOAD))
        buttons.append(last)
        turn.user.remember_topics(step.topics)
        return Reply("\n\n".join(lines), buttons=buttons, replaces_pressed=replaces)

    def _finished(self, turn: Turn, progress: Progress, replaces: bool = False) -> Reply:
        where = path.standing(self.guide, progress)
        text = turn.t("guide.finished", done=len(where.done), skipped=len(where.skipped), total=where.total)
        buttons = [[Button(turn.t("guide.checklist_button"), "gd:list")]]
        if self.app.engine.can_book():
            buttons.append([Button(turn.t("faq.book_button"), BOOK_PAYLOAD)])
        buttons.append([Button(turn.t("guide.where_button"), "gd:where")])
        return Reply(text, buttons=buttons, replaces_pressed=replaces)

    async def where(self, turn: Turn, _: str = "") -> list[Reply]:
        progress = await self.service.store.load(turn.address)
        lead = [turn.t("guide.where_booking")] if turn.session.flow == "booking" else []
        if not self.guide or not progress.started:
            buttons = [[Button(turn.t("guide.start_button"), "gd:go", "yes next")]] if self.guide else []
            return [Reply("\n\n".join(lead + [turn.t("guide.where_not_started")]), buttons=buttons)]
        where = path.standing(self.guide, progress)
        lines = []
        for number, step in enumerate(self.guide, start=1):
            # Where the founder is comes first: back at a skipped or done step, that is still where they are.
            key = ("guide.line_here" if step == where.current else "guide.line_done" if step in where.done
                   else "guide.line_skipped" if step in where.skipped else "guide.line_open")
            lines.append(turn.t(key, number=number, title=step.title.get(turn.lang)))
        text = [*lead, turn.t("guide.where_header", done=len(where.done), total=where.total), "\n".join(lines)]
        if progress.notes:
            text.append(turn.t("guide.where_notes") + "\n" + "\n".join(f"• {n}" for n in progress.notes))
        buttons = []
        if where.current is not None:
            buttons.append([Button(turn.t("guide.continue_button", title=where.current.title.get(turn.lang)), "gd:go", "next yes")])
        buttons += [[Button(turn.t("guide.note_button"), "gd:note"), Button(turn.t("guide.checklist_button"), "gd:list")],
                    [Button(turn.t("guide.who_button"), "gd:who"), Button(turn.t("guide.reset_button"), "gd:reset")]]
        return [Reply("\n\n".join(text), buttons=buttons)]

    async def typed_move(self, action: str, turn: Turn, _: str) -> list[Reply] | None:
        """ "klart", "hoppa över", "tillbaka" typed after an answer given beside the guide: for the step the
        guide is at."""
        progress = await self.service.store.load(turn.address)
        step = path.current_step(self.guide, progress) if progress.started else None
        if step is None:
            return None
        if action == "back" and self.guide.index(step) == 0:
            return [Reply(turn.t("guide.at_first_step")), self._step(turn, progress)]
        return await self.move(turn, action, step.id)

    async def way_back(self, turn: Turn) -> Button | None:
        """The button back to the step, for an answer given beside the guide, while there is a step to go back to."""
        progress = await self.service.store.load(turn.address)
        if not progress.started or path.current_step(self.guide, progress) is None:
            return None
        return Button(turn.t("guide.back_to_step"), "gd:go", "back")

    async def pause(self, turn: Turn, _: str = "") -> list[Reply]:
        if turn.session.flow == "guide":
            turn.session.clear()
        return [Reply(turn.t("guide.paused"))]

    # --- buttons ------------------------------------------------------------------------------

    async def button(self, turn: Turn, rest: str) -> list[Reply] | None:
        action, _, arg = rest.partition(":")
        if turn.session.flow == "guide" and action != "note":
            turn.session.clear()  # any other guide button ends waiting for a question
        simple = {"go": self.open, "where": self.where, "list": self.checklist_command, "who": self.who,
                  "note": self.ask_note, "reset": self.ask_reset, "reset-y": self.reset}
        if action in simple and not arg:
            return await simple[action](turn, "")
        if action == "faq":
            return self.faq(turn, arg)
        if action in ("done", "skip", "back") and path.index_of(self.guide, arg) is not None:
            return await self.move(turn, action, arg)
        return None  # unknown or stale (a step no longer in the guide): the engine says so

    async def move(self, turn: Turn, action: str, step_id: str) -> list[Reply]:
        progress = await self.service.store.load(turn.address)
        if action == "done":
            progress = path.mark(self.guide, progress, step_id, path.DONE)
        elif action == "skip":
            progress = path.mark(self.guide, progress, step_id, path.SKIPPED)
        else:
            progress = path.back(self.guide, progress, step_id)
        await self._save(turn, progress)
        if progress.current is None:
            return [self._finished(turn, progress, replaces=True)]
        return [self._step(turn, progress, replaces=True)]

    def faq(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        knowledge = self.app.knowledge.current
        entry = knowledge.entries.get(entry_id)
        if entry is None:
            return None
        reply = faq_reply(entry, knowledge, turn.lang, turn.t, can_book=self.app.engine.can_book(), home=home_of(turn.user))
        reply.buttons.insert(0, [Button(turn.t("guide.back_to_step"), "gd:go", "back next")])
        return [reply]

    async def who(self, turn: Turn, _: str) -> list[Reply]:
        reply = overview_reply(self.app.knowledge.current, turn.lang, turn.t)
        reply.buttons.append([Button(turn.t("guide.back_to_step"), "gd:go", "back next")])
        return [reply]

    async def checklist_command(self, turn: Turn, _: str = "") -> list[Reply]:
        if not self.guide:
            return [Reply(turn.t("guide.none"))]
        attachment = await self.service.checklist(turn.address, turn.lang, turn.now)
        return [Reply(turn.t("guide.checklist_sent"), attachments=[attachment],
                      buttons=[[Button(turn.t("guide.back_to_step"), "gd:go", "back next")]])]

    # --- the founder's own questions ----------------------------------------------------------

    async def ask_note(self, turn: Turn, _: str) -> list[Reply]:
        turn.session.start("guide", "note")
        return [Reply(turn.t("guide.note_prompt", max=NOTE_MAX_CHARS),
                      buttons=[[Button(turn.t("guide.note_cancel"), "gd:go", "cancel back")]])]

    async def note_text(self, turn: Turn, text: str) -> list[Reply]:
        if len(text) > NOTE_MAX_CHARS:
            return [Reply(turn.t("guide.note_too_long", max=NOTE_MAX_CHARS),
                          buttons=[[Button(turn.t("guide.note_cancel"), "gd:go")]])]
        turn.session.clear()
        progress = path.add_note(await self.service.store.load(turn.address), text)
        await self._save(turn, path.begin(self.guide, progress))
        return [Reply(turn.t("guide.note_saved", count=len(progress.notes)),
                      buttons=[[Button(turn.t("guide.back_to_step"), "gd:go", "back next"),
                                Button(turn.t("guide.checklist_button"), "gd:list")]])]

    # --- starting over ------------------------------------------------------------------------

    async def ask_reset(self, turn: Turn, _: str) -> list[Reply]:
        buttons = [[Button(turn.t("guide.reset_yes"), "gd:reset-y", "yes"), Button(turn.t("guide.reset_no"), "gd:where", "no cancel")]]
        return [Reply(turn.t("guide.reset_prompt"), buttons=buttons, replaces_pressed=True)]

    async def reset(self, turn: Turn, _: str) -> list[Reply]:
        await self.service.store.forget(turn.address)
        if turn.session.flow == "guide":
            turn.session.clear()
        return [Reply(turn.t("guide.reset_done"), buttons=[[Button(turn.t("guide.start_button"), "gd:go", "yes next")]],
                      replaces_pressed=True)]
