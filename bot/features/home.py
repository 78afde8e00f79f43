"""The founder's own municipality: asked once when an answer names "din kommun" (optional, skippable), read with
find_municipality ("norrkoping" is Norrköping), kept on the users row (erased with it by /glom and retention),
shown in answers' "Ansvarig" line (bot/answers.py) and offered when booking (bot/features/booking.py)."""

from __future__ import annotations

from knowledge.municipalities import Municipality, find_municipality, get_municipality, load_municipalities, stated_home

from ..engine import Feature, Turn, User, clean_text
from ..messages import Button, Reply

ASK_PAYLOAD = "hm:ask"


def home_of(user: User) -> Municipality | None:
    """The municipality the founder told, None while unknown (or if the directory no longer has its code)."""
    return get_municipality(user.municipality) if user.municipality else None


def remember_home(user: User, municipality: Municipality) -> None:
    user.municipality = municipality.code
    user.municipality_skipped = False


def shown_name(municipality: Municipality) -> str:
    return municipality.official or municipality.name


def may_ask(turn: Turn) -> bool:
    """Whether an answer naming "din kommun" should offer to tell it: unknown, not declined, no flow waiting."""
    return turn.user.municipality is None and not turn.user.municipality_skipped and turn.session.flow is None


def offered_home_question(turn: Turn) -> bool:
    """Whether the options last shown include "Ange din kommun": a place typed then answers that question."""
    pending = turn.user.pending
    return pending is not None and any(o.payload == ASK_PAYLOAD for o in pending.options)


def ask_button(turn: Turn) -> Button:
    return Button(turn.t("home.tell_button"), ASK_PAYLOAD)


class HomeFeature(Feature):
    name = "home"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {"/kommun": self.ask, "/municipality": self.ask}
        self.payloads = {"hm": self.button}
        self.steps = {"home.ask": self.typed}
        self.notices = [self.stated]

    def _skip_button(self, turn: Turn) -> Button:
        return Button(turn.t("home.skip_button"), "hm:skip", "skip no cancel")

    async def ask(self, turn: Turn, _: str = "") -> list[Reply]:
        if turn.session.flow not in (None, "home"):
            turn.session.clear()  # the command (or the button) is the user's choice: this question now
        turn.session.start("home", "ask")
        return [Reply(turn.t("home.prompt"), buttons=[[self._skip_button(turn)]])]

    async def button(self, turn: Turn, arg: str) -> list[Reply] | None:
        if arg == "ask":
            return await self.ask(turn)
        if arg != "skip":
            return None
        if turn.session.flow == "home":
            turn.session.clear()
        turn.user.municipality_skipped = True
        return [Reply(turn.t("home.skipped"), replaces_pressed=True)]

    async def typed(self, turn: Turn, text: str) -> list[Reply] | None:
        found = find_municipality(clean_text(text), load_municipalities())
        if found is not None:
            remember_home(turn.user, found)
            turn.session.clear()
            return [Reply(turn.t("home.saved", name=shown_name(found)))]
        if len(text.split()) > 2:
            return None  # a question rather than a name: the engine answers it and the question here waits
        return [Reply(turn.t("home.unknown"), buttons=[[self._skip_button(turn)]])]

    async def stated(self, turn: Turn, text: str) -> list[Reply]:
        """A municipality the founder tells in passing ("jag bor i Norrköping", "vi finns i Botkyrka och undrar ...")
        is kept as if told with /kommun; the reply says so."""
        found = stated_home(text, load_municipalities())
        if found is None or found.code == turn.user.municipality:
            return []
        remember_home(turn.user, found)
        if turn.session.flow == "home":
            turn.session.clear()
        return [Reply(turn.t("home.saved", name=shown_name(found)))]
