"""Answers from the FAQ: direct answers, "menade du", routing, honest fallback, unanswered log."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from knowledge.understanding import understand_question

from knowledge.model import FaqEntry, Knowledge
from knowledge.municipalities import find_municipality, load_municipalities
from knowledge.understanding import Understanding

from ..answers import Operator, about_service, compose, faq_reply, follow_up_unknown_reply, mentions_home, several_reply
from ..conversation import Context
from ..engine import Feature, Turn
from ..messages import Button, Reply
from ..reports import outcome_of
from .home import ask_button, home_of, may_ask, offered_home_question, remember_home, shown_name

FAQ_INTENTS = ("faq", "routing", "did_you_mean", "fallback", "follow_up_unknown", "just_answered")
# Meeting requests while no booking feature is installed get compose()'s honest "not here yet".
MEETING_INTENTS = ("booking", "my_meetings", "cancel")


def answer_digest(entry: FaqEntry) -> str:
    """A short digest of an entry's answer in both languages, lead included: whether it changed since shown."""
    lead = entry.lead.model_dump_json() if entry.lead is not None else ""
    return hashlib.sha256(f"{entry.answer.model_dump_json()}{lead}".encode()).hexdigest()[:16]


class FaqFeature(Feature):
    name = "faq"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.payloads = {"faq": self.show_entry}
        self.intents = {name: self.answer for name in FAQ_INTENTS}
        self.intents["several"] = self.answer_several
        self.steps = {"faq.suggested": self.after_suggestions}
        self.reask = {"faq.suggested": "core.choose_option"}  # the suggestions already say "not sure I understood"
        self.deep_links = {"faq_": self.deep_link}

    async def answer(self, turn: Turn, text: str) -> list[Reply]:
        knowledge = self.app.knowledge.current
        u = turn.understanding
        assert u is not None
        home, operator = home_of(turn.user), Operator.of(self.app.settings)
        if u.intent == "fallback" and offered_home_question(turn):
            found = find_municipality(text, load_municipalities())  # "norrkoping" typed under "Ange din kommun"
            if found is not None:
                remember_home(turn.user, found)
                return [Reply(turn.t("home.saved", name=shown_name(found)))]
        if u.intent in MEETING_INTENTS:
            return compose(u, knowledge, turn.t, can_book=self.app.engine.can_book(), home=home, operator=operator)
        if u.intent not in FAQ_INTENTS:
            # An intent no feature handles (yet): treat the message as a question.
            u = understand_question(text, u.lang, knowledge, self.app.knowledge.matcher)
        if u.intent == "just_answered" and u.faq_id in knowledge.entries and (
                turn.user.context is None or turn.user.context.shown != answer_digest(knowledge.entries[u.faq_id])):
            u = replace(u, intent="faq")  # changed since it was shown (a coordinator corrected it): shown again
        if u.intent in ("faq", "routing", "just_answered") and u.faq_id:
            self._remember(turn, u.faq_id)
        elif u.intent == "did_you_mean":
            if turn.session.flow is None:  # in a flow the suggestions are shown and the flow keeps waiting
                turn.session.start("faq", "suggested", question=text)
        else:
            await self.app.unanswered.record(text, u, turn.now)
        if u.intent == "follow_up_unknown" and u.faq_id in knowledge.entries:
            reply = follow_up_unknown_reply(knowledge.entries[u.faq_id], knowledge, u, turn.t, home, operator)
            return self._offer_home(turn, [reply], [u], knowledge)
        # day, language, outcome, entry: no identity (bot/reports.py)
        await self.app.question_log.record(turn.now, u.lang, outcome_of(u.intent, u.faq_id), u.faq_id)
        replies = compose(u, knowledge, turn.t, can_book=self.app.engine.can_book(), home=home, operator=operator)
        if u.intent == "fallback" and self.app.engine.handles("gd"):
            # Not knowing the answer, offer the way through it all: the start guide.
            replies[-1].buttons.insert(0, [Button(turn.t("guide.start_button"), "gd:go")])
        return self._offer_home(turn, replies, [u], knowledge)

    async def answer_several(self, turn: Turn, text: str) -> list[Reply]:
        """A message asking several things: up to three answered in one reply, the rest as buttons."""
        knowledge = self.app.knowledge.current
        items = turn.understandings
        requests = []
        for u in items:
            if u.intent in ("faq", "routing", "did_you_mean"):
                if u.faq_id:
                    self._remember(turn, u.faq_id)
                await self.app.question_log.record(turn.now, u.lang, outcome_of(u.intent, u.faq_id), u.faq_id)
            else:
                requests.append(u)  # "…och kan jag boka ett möte?": answered after the questions
        reply = several_reply(items, knowledge, turn.lang, turn.t, can_book=self.app.engine.can_book(),
                              home=home_of(turn.user), operator=Operator.of(self.app.settings))
        replies = self._offer_home(turn, [reply], items, knowledge)
        for u in requests:
            handler = self.app.engine.intent_handler(u.intent)
            if handler is not None:
                turn.understanding = u
                replies += await handler(turn, u.text) or []
        return replies

    async def show_entry(self, turn: Turn, entry_id: str) -> list[Reply] | None:
        if entry_id == "-":
            question = turn.session.data.get("question") if turn.session.flow == "faq" else None
            turn.session.clear()
            if question:
                await self.app.unanswered.record(question, None, turn.now, lang=turn.lang)
            return [Reply(turn.t("faq.sorry_not_found"), replaces_pressed=True)]
        entry = self.app.knowledge.current.entries.get(entry_id)
        if entry is None:
            return None
        if turn.session.flow == "faq":
            turn.session.clear()
        self._remember(turn, entry_id)
        reply = faq_reply(entry, self.app.knowledge.current, turn.lang, turn.t, can_book=self.app.engine.can_book(),
                          home=home_of(turn.user), operator=Operator.of(self.app.settings))
        return self._offer_home(turn, [reply], [], self.app.knowledge.current,
                                () if about_service(entry) else entry.authorities[:1])

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply]:
        return await self.show_entry(turn, arg.removeprefix("faq_")) or [Reply(turn.t("core.unknown_button"))]

    async def after_suggestions(self, turn: Turn, text: str) -> None:
        turn.session.clear()  # typing something new instead of picking: just carry on
        return None

    def _offer_home(self, turn: Turn, replies: list[Reply], items: list[Understanding], knowledge: Knowledge,
                    authorities: list[str] | tuple[str, ...] = ()) -> list[Reply]:
        """While the founder's municipality is unknown, an answer that says "din kommun" offers to tell it (an
        answer about this service names its operator instead)."""
        named = list(authorities)
        for u in items:
            entry = knowledge.entries.get(u.faq_id or "")
            if entry is not None and about_service(entry):
                continue
            if u.intent in ("faq", "follow_up_unknown") and entry is not None:
                named += entry.authorities[:1]
            elif u.intent == "routing" and entry is not None:
                named += entry.authorities
            elif u.intent in ("routing", "fallback"):
                named += list(u.authorities[: None if u.intent == "routing" else 1])
        if replies and mentions_home(named) and may_ask(turn):
            replies[-1].buttons.append([ask_button(turn)])
        return replies

    def _remember(self, turn: Turn, entry_id: str) -> None:
        """What the user just asked about: its topics come pre-selected when booking, and a follow-up in the
        next minutes is understood as being about this entry (knowledge/followup.py)."""
        entry = self.app.knowledge.current.entries.get(entry_id)
        if entry is None:
            return
        turn.user.remember_topics(entry.topics)
        turn.user.context = Context(entry_id, turn.now, answer_digest(entry))
