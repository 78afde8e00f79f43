"""What the Telegram channel keeps in the database: the update ids it has handled.

Telegram delivers an update again when the bot did not confirm it (a crash or kill between handling and
the next getUpdates, a webhook answer that got lost). Claiming each id in the database before handling
it makes a redelivered update a no-op, across restarts. Kept apart from the channel so that the
migration does not import python-telegram-bot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Telegram keeps an unconfirmed update for at most 24 hours; two days of ids cover every redelivery.
KEEP = timedelta(days=2)
PRUNE_EVERY = 500

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        -- Update ids the Telegram channel has handled (no user data): a redelivered update is skipped.
        CREATE TABLE telegram_updates (
            bot_id INTEGER NOT NULL,
            update_id INTEGER NOT NULL,
            handled_at TEXT NOT NULL,
            PRIMARY KEY (bot_id, update_id)
        );
        CREATE INDEX telegram_updates_handled_at ON telegram_updates(handled_at);
        """,
    ),
]


class UpdateLog:
    """Claims update ids once per bot; forgets them after `KEEP`."""

    def __init__(self, db, clock) -> None:
        self.db = db
        self.clock = clock
        self._claims = 0

    async def claim(self, bot_id: int, update_id: int) -> bool:
        """True the first time an update id is seen, False for a redelivery."""
        now = self.clock.now()
        inserted = await self.db.execute(
            "INSERT OR IGNORE INTO telegram_updates(bot_id, update_id, handled_at) VALUES (?, ?, ?)",
            (bot_id, update_id, now.isoformat()),
        )
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.prune(now)
        return inserted == 1

    async def prune(self, now: datetime | None = None) -> int:
        cutoff = (now or self.clock.now()) - KEEP
        return await self.db.execute("DELETE FROM telegram_updates WHERE handled_at < ?", (cutoff.isoformat(),))
