"""Notifier port: send replies to any user address through the channel that owns its prefix."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable, Protocol

from .messages import Reply

log = logging.getLogger(__name__)


class Undeliverable(Exception):
    """Raised by a channel when an address can no longer be reached (e.g. the user blocked the bot)."""


class Delivery(Protocol):
    async def __call__(self, address: str, replies: list[Reply]) -> None: ...


class Notifier:
    """Routes by address prefix (`tg`, `mx`, `console`). Channels register themselves at start-up."""

    def __init__(self, on_undeliverable: Callable[[str], Awaitable[None]] | None = None,
                 is_undeliverable: Callable[[str], Awaitable[bool]] | None = None) -> None:
        self._routes: dict[str, Delivery] = {}
        self._on_undeliverable = on_undeliverable
        self._is_undeliverable = is_undeliverable

    def register(self, prefix: str, delivery: Delivery) -> None:
        self._routes[prefix] = delivery

    def unregister(self, prefix: str) -> None:
        self._routes.pop(prefix, None)

    async def send(self, address: str, replies: list[Reply]) -> bool:
        """Deliver; False when no channel owns the address or it is unreachable. Never raises.

        An address once found unreachable (the user blocked the bot) is not tried again until the user
        writes to the bot or unblocks it, which clears the mark."""
        prefix = address.split(":", 1)[0]
        delivery = self._routes.get(prefix)
        if delivery is None:
            log.warning("no channel for address prefix %r", prefix)
            return False
        try:
            if self._is_undeliverable is not None and await self._is_undeliverable(address):
                log.info("not sent: the %s address is marked undeliverable", prefix)
                return False
            await delivery(address, replies)
            return True
        except Undeliverable:
            if self._on_undeliverable is not None:
                await self._on_undeliverable(address)
            return False
        except Exception:  # a failing channel must not break the caller's work
            log.exception("delivery failed on channel %r", prefix)
            return False
