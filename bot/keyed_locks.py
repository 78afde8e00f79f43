"""One asyncio lock per key (a user, a chat), made on first use and freed when nobody holds or waits for it."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holding or waiting


class KeyedLocks(Generic[K]):
    """`async with locks.hold(key):` runs one holder per key at a time, the others in arrival order.

    The entry of a key is counted by its holder and waiters and dropped when the count reaches 0, so a
    key seen once leaves nothing behind (a count, not `Lock.locked()`, which is true inside the holder).
    """

    def __init__(self) -> None:
        self._entries: dict[K, _Entry] = {}

    @asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]

    def __len__(self) -> int:
        """Keys held or waited for right now."""
        return len(self._entries)
