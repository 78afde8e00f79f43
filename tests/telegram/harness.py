"""Runs the real Telegram channel on a real app against the fake Bot API server, and talks to it as users."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_app
from bot.channels.telegram import TelegramChannel, TelegramRateLimiter

from .fake_botapi import TOKEN, Call, FakeBotApi


class BotUnderTest:
    """An app and its Telegram channel; `restart()` stops both and starts new ones on the same database."""

    def __init__(self, fake: FakeBotApi, settings, clock, knowledge, rate_limiter: Any = "tests") -> None:
        self.fake = fake
        self.settings = replace(settings, telegram_token=TOKEN, telegram_base_url=fake.base_url)
        self.clock = clock
        self.knowledge = knowledge
        self.rate_limiter = rate_limiter
        self.handled: dict[int, asyncio.Event] = {}
        self.app: Any = None
        self.channel: TelegramChannel | None = None

    async def start(self) -> "BotUnderTest":
        self.app = await build_app(self.settings, clock=self.clock, knowledge=self.knowledge)
        # Production pacing per chat is one message a second after a burst of three; tests type faster.
        limiter = TelegramRateLimiter(chat_burst=0) if self.rate_limiter == "tests" else self.rate_limiter
        self.channel = TelegramChannel(self.app, rate_limiter=limiter)
        # Runs after the channel's own handler for each update, so "handled" means "all replies sent".
        self.channel.application.add_handler(TypeHandler(Update, self._mark_handled), group=1)
        await self.channel.start()
        return self

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def _mark_handled(self, update: Update, context: Any) -> None:
        self.handled.setdefault(update.update_id, asyncio.Event()).set()

    async def wait_handled(self, update_id: int, timeout: float = 10.0) -> None:
        event = self.handled.setdefault(update_id, asyncio.Event())
        await asyncio.wait_for(event.wait(), timeout)

    def user(self, user_id: int, language_code: str | None = "sv", pace: float = 3) -> "TgUser":
        return TgUser(self, user_id, language_code, pace)


class TgUser:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, bot: BotUnderTest, user_id: int, language_code: str | None, pace: float = 3) -> None:
        self.bot = bot
        self.pace = pace  # seconds the fake clock moves before each message: people take time to type
        self.fake = bot.fake
        self.id = user_id
        self.address = f"tg:{user_id}"
        self.fake.user(user_id, language_code)
        self.last: list[Call] = []

    def _wait(self) -> None:
        if self.pace and hasattr(self.bot.clock, "advance"):
            self.bot.clock.advance(timedelta(seconds=self.pace))

    async def _turn(self, update: dict[str, Any]) -> list[Call]:
        since = len(self.fake.calls)
        await self.bot.wait_handled(update["update_id"])
        self.last = self.fake.sent(self.id, since)
        return self.last

    async def say(self, text: str) -> list[Call]:
        self._wait()
        return await self._turn(self.fake.send_text(self.id, text))

    async def press(self, label_or_data: str) -> list[Call]:
        """Press a button by its label or callback data, on the newest bot message that has it."""
        messages = sorted(
            (m for (chat, _), m in self.fake.messages.items() if chat == self.id and m.get("reply_markup")),
            key=lambda m: m["message_id"], reverse=True,
        )
        for message in messages:
            for row in message["reply_markup"]["inline_keyboard"]:
                for button in row:
                    if label_or_data in (button["text"], button.get("callback_data")):
                        self._wait()
                        return await self._turn(self.fake.press(self.id, message["message_id"], button["callback_data"]))
        raise AssertionError(f"no button {label_or_data!r}; buttons: {self.buttons()}")

    def text(self) -> str:
        return "\n".join(c.visible_text for c in self.last)

    def buttons(self) -> list[str]:
        return [label for c in self.last for label, _ in c.buttons]
