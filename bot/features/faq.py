"""Answers from the FAQ: direct answers, "menade du", routing, honest fallback, unanswered log."""

from __future__ import annotations

from knowledge.understanding import Understanding, understand_question

from ..answers import compose, faq_reply
from ..engine import Feature, Turn
from ..messages import Reply
from ..reports import outcome_of

FAQ_INTENTS = ("faq", "routing", "did_you_mean", "fallback")
# Meeting requests while no booking feature is installed get compose()'s honest "not here yet".
MEETING_INTENTS = ("booking", "my_meetings", "cancel")


class FaqFeature(Feature):
    name = "faq"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.payloads = {"faq": self.show_entry}
        self.intents = {name: self.answer for name in FAQ_INTENTS}
        self.steps = {"faq.suggested": self.after_suggestions}
        self.deep_links = {"faq_": self.deep_link}

    async def answer(self, turn: Turn, text: str) -> list[Reply]:
        knowledge = self.app.knowledge.current
        u = turn.understanding
        assert u is not None
        if u.intent in MEETING_INTENTS:
            return compose(u, knowledge, turn.t, can_book=self.app.engine.can_book())
        if u.intent not in FAQ_INTENTS:
            # An intent no feature handles (yet): treat the message as a question.
            u = understand_question(text, u.lang, knowledge, self.app.knowledge.matcher)
        if u.intent in ("faq", "routing") and u.faq_id:
            self._remember_topics(turn, u.faq_id)
        elif u.intent == "did_you_mean":
            turn.session.start("faq", "suggested", question=text)
        else:
            await self.app.unanswered.record(text, u, turn.now)
        question_log = self.app.services.get("question_log")
        if question_log is not None:  # day, language, outcome, entry: no identity (bot/reports.py)
            await question_log.record(turn.now, u.lang, outcome_of(u.intent, u.faq_id), u.faq_id)
        return compose(u, knowledge, turn.t, can_book=self.app.engine.can_book())

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
        self._remember_topics(turn, entry_id)
        reply = faq_reply(entry, self.app.knowledge.current, turn.lang, turn.t, can_book=self.app.engine.can_book())
        return [reply]

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply]:
        return await self.show_entry(turn, arg.removeprefix("faq_")) or [Reply(turn.t("core.unknown_button"))]

    async def after_suggestions(self, turn: Turn, text: str) -> None:
        turn.session.clear()  # typing something new instead of picking: just carry on
        return None

    def _remember_topics(self, turn: Turn, entry_id: str) -> None:
        entry = self.app.knowledge.current.entries.get(entry_id)
        if entry is None:
            return
        turn.user.remember_topics(entry.topics)


class UnansweredLog:
    """Questions the bot could not answer, for coordinators. Holds no user identity."""

    def __init__(self, db) -> None:
        self.db = db

    async def record(self, text: str, u: Understanding | None, now, lang: str | None = None) -> None:
        await self.db.execute(
            "INSERT INTO unanswered(text, lang, best_faq_id, best_score, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                text,
                u.lang if u else (lang or "sv"),
                (u.suggestions[0] if u and u.suggestions else None),
                (u.score if u else None),
                now.isoformat(),
            ),
        )
