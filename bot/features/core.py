"""Greeting, help, thanks, language, talking to a person, who does what. (The privacy notice: privacy.py.)"""

from __future__ import annotations

from knowledge.understanding import SWITCH, bare_intent

from ..answers import BOOK_PAYLOAD, overview_reply
from ..engine import Feature, Turn
from ..messages import Button, Reply

LANG_NAMES = {"sv": "Svenska", "en": "English"}


class CoreFeature(Feature):
    name = "core"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {
            "/start": self.start,
            "/help": self.help,
            "/hjalp": self.help,
            "/sprak": self.language,
            "/language": self.language,
        }
        self.payloads = {"lang": self.set_language}
        self.intents = {
            "greeting": self.greeting,
            "help": self.help,
            "thanks": self.thanks,
            "human": self.human,
            "switch_language": self.switch_language,
            "who_does_what": self.who_does_what,
            "empty": self.empty,
        }

    def _book_button(self, turn: Turn, meaning: str = "") -> list[list[Button]]:
        """`meaning` "yes": the reply offers the meeting as the answer to a request for people, so "ja" books."""
        return [[Button(turn.t("faq.book_button"), BOOK_PAYLOAD, meaning)]] if self.app.engine.can_book() else []

    def _guide_button(self, turn: Turn) -> list[list[Button]]:
        return [[Button(turn.t("guide.start_button"), "gd:go")]] if self.app.engine.handles("gd") else []

    async def start(self, turn: Turn, args: str) -> list[Reply]:
        turn.session.clear()
        return [Reply(turn.t("core.welcome"), buttons=self._guide_button(turn) + self._book_button(turn))]

    async def greeting(self, turn: Turn, text: str) -> list[Reply]:
        return [Reply(turn.t("core.greeting"))]

    async def help(self, turn: Turn, args: str) -> list[Reply]:
        text = turn.t("core.help")
        if self.app.engine.handles("gd"):
            text += "\n" + turn.t("core.help_guide")
        if self.app.engine.can_book():
            text += "\n" + turn.t("core.help_booking")
        return [Reply(text, buttons=self._guide_button(turn) + self._book_button(turn))]

    async def thanks(self, turn: Turn, text: str) -> list[Reply]:
        return [Reply(turn.t("core.thanks"))]

    async def human(self, turn: Turn, text: str) -> list[Reply]:
        return [Reply(turn.t("core.human"), buttons=self._book_button(turn, "yes"))]

    async def empty(self, turn: Turn, text: str) -> list[Reply]:
        return [Reply(turn.t("core.empty"))]

    async def who_does_what(self, turn: Turn, text: str) -> list[Reply]:
        return [overview_reply(self.app.knowledge.current, turn.lang, turn.t)]

    async def language(self, turn: Turn, args: str) -> list[Reply]:
        wanted = args.strip().lower()[:2]
        if wanted in LANG_NAMES:
            return await self.set_language(turn, wanted)
        buttons = [[Button(name, f"lang:{code}") for code, name in LANG_NAMES.items()]]
        return [Reply(turn.t("core.choose_language"), buttons=buttons)]

    async def switch_language(self, turn: Turn, text: str) -> list[Reply]:
        """ "english please" switches; "is there someone who speaks English I can talk to?" is a question
        about people, answered in the language the chat is in."""
        target = turn.understanding.target_lang if turn.understanding else None
        if bare_intent(text, self.app.knowledge.matcher) not in SWITCH:
            return [Reply(turn.t("core.language_people"), buttons=self._book_button(turn, "yes"))]
        if target == turn.lang:
            turn.user.lang_explicit = True
            return [Reply(turn.t("core.language_already"))]
        return await self.set_language(turn, target or turn.lang)

    async def set_language(self, turn: Turn, code: str) -> list[Reply] | None:
        if code not in LANG_NAMES:
            return None
        turn.user.lang = code
        turn.user.lang_explicit = True
        return [Reply(turn.t("core.language_switched"), replaces_pressed=turn.incoming.payload is not None)]
