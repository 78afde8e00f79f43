"""The user's data: what is kept and who answers for it (/integritet), see it (/mina_data) and erase it (/glom)."""

from __future__ import annotations

import json

from ..answers import Operator, privacy_text
from ..engine import Feature, Turn
from ..messages import Attachment, Button, Reply


class PrivacyFeature(Feature):
    name = "privacy"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {"/glom": self.ask_erase, "/forget": self.ask_erase, "/mina_data": self.export,
                         "/my_data": self.export, "/integritet": self.notice, "/privacy": self.notice}
        self.payloads = {"pv": self.answer}
        self.intents = {"erase_me": self.ask_erase, "my_data": self.export, "privacy": self.notice}

    async def notice(self, turn: Turn, args: str) -> list[Reply]:
        """What is kept, and the operator of this installation as the one responsible for it."""
        return [Reply(privacy_text(turn.t, Operator.of(self.app.settings)))]

    async def ask_erase(self, turn: Turn, args: str) -> list[Reply]:
        buttons = [[Button(turn.t("privacy.erase_yes"), "pv:erase"), Button(turn.t("privacy.erase_no"), "pv:keep")]]
        return [Reply(turn.t("privacy.erase_confirm"), buttons=buttons)]

    async def answer(self, turn: Turn, choice: str) -> list[Reply] | None:
        if choice == "keep":
            return [Reply(turn.t("privacy.erase_cancelled"), replaces_pressed=True)]
        if choice != "erase":
            return None
        await self.app.personal_data.erase(turn.address, turn.now)
        turn.erased = True
        return [Reply(turn.t("privacy.erased"), replaces_pressed=True)]

    async def export(self, turn: Turn, args: str) -> list[Reply]:
        data = await self.app.personal_data.export(turn.address)
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        return [Reply(turn.t("privacy.export_ready"), attachments=[Attachment("mina-data.json", content, "application/json")])]
