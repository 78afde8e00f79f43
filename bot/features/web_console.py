"""/webb (/web): a coordinator or official gets a one-time sign-in link to the web console (bot/admin)."""

from __future__ import annotations

from ..engine import Feature, Turn
from ..messages import Reply
from ..roles import COORDINATOR, OFFICIAL


class WebConsoleFeature(Feature):
    name = "web_console"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {"/webb": self.link, "/web": self.link}

    async def link(self, turn: Turn, args: str) -> list[Reply]:
        from ..admin import sign_in_link

        if not (await self.app.roles.roles_of(turn.address)) & {COORDINATOR, OFFICIAL}:
            return [Reply(turn.t("admin.web_only_staff"))]
        return [Reply(turn.t("admin.web_link", link=await sign_in_link(self.app, turn.address)))]
