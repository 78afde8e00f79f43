"""Helpers for booking tests: book through the service, read the console outbox, check invariants."""

from __future__ import annotations

import itertools
from datetime import timedelta

from booking import repository as repo

_founders = itertools.count()


def new_founder() -> str:
    return f"console:founder-{next(_founders)}"


async def book_first(app, founder: str | None = None, topics=("asf",), municipality=None, idea=None, index: int = 0):
    service = app.booking
    slots = await service.offer(list(topics), municipality)
    assert len(slots) > index, "no free slots"
    return await service.book(founder or new_founder(), slots[index], list(topics), municipality, idea)


async def outbox_texts(app, address: str) -> list[str]:
    return [r.text for r in await app.outbox.take(address)]


async def officials_told(app, ref: str) -> list[str]:
    """What the officials' console outboxes hold about meeting `ref`."""
    texts = []
    for official in (await app.booking.snapshot()).officials:
        if official.address:
            texts += [t for t in await outbox_texts(app, official.address) if ref in t]
    return texts


async def outbox_replies(app, address: str):
    return await app.outbox.take(address)


async def overlaps(app) -> list[tuple[str, str, str]]:
    """Pairs of active meetings sharing an attending official closer than the buffer."""
    rules = app.booking.rules
    async with app.db.read() as conn:
        meetings = await repo.active_meetings(conn, app.clock.now() - timedelta(days=400))
    found = []
    for a, b in itertools.combinations(meetings, 2):
        shared = set(a.official_ids) & set(b.official_ids)
        if shared and a.start < b.end + rules.buffer and b.start < a.end + rules.buffer:
            found.append((a.ref, b.ref, ",".join(sorted(shared))))
    return found
