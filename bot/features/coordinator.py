"""Coordinators' tools in chat: roles by invite, FAQ editing with history, unanswered questions,
stale entries and reports. Every command and button here needs the coordinator role (checked by the
engine through `required_roles`); flow steps check it again, so a role taken away mid-flow ends it.
"""

from __future__ import annotations

from ..engine import Feature, Turn
from ..messages import Reply
from ..roles import COORDINATOR

# Tables owned by the coordinator tools (registered in bot/app.py MIGRATION_MODULES).
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        -- Every change to an FAQ entry: the whole entry before and after (JSON), so any version can return.
        CREATE TABLE faq_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id TEXT NOT NULL,
            field TEXT NOT NULL,
            editor TEXT,                      -- coordinator address (NULL after they erased their data)
            before TEXT,                      -- NULL for a new entry
            after TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX faq_history_entry ON faq_history(entry_id);
        -- One row per question answered (or not): day, language, outcome, entry. Never who asked.
        CREATE TABLE question_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            day TEXT NOT NULL,                -- Europe/Stockholm date
            lang TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'did_you_mean', 'fallback')),
            faq_id TEXT
        );
        CREATE INDEX question_log_day ON question_log(day);
        -- When each weekly coordinator job last ran (stale reminder, digest), so a restart sends none twice.
        CREATE TABLE coordinator_jobs (
            name TEXT PRIMARY KEY,
            last_period TEXT NOT NULL,
            ran_at TEXT NOT NULL
        );
        """,
    ),
]


class CoordinatorFeature(Feature):
    name = "coordinator"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.commands = {"/koordinator": self.help, "/coordinator": self.help}
        self.deep_links = {"co_": self.redeem}
        self.required_roles = {name: COORDINATOR for name in self.commands}

    async def help(self, turn: Turn, args: str) -> list[Reply]:
        return [Reply(turn.t("coordinator.help"))]

    async def redeem(self, turn: Turn, arg: str) -> list[Reply]:
        role = await self.app.roles.redeem_invite(arg.removeprefix("co_"), turn.address)
        if role is None:
            return [Reply(turn.t("coordinator.invite_invalid"))]
        return [Reply(turn.t("coordinator.invite_welcome") + "\n\n" + turn.t("coordinator.help"))]
