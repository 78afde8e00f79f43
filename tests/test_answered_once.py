"""Answered once, even across a crash, at the engine: a channel's record of the answer (here the Matrix
store's, as the Matrix channel keeps it) is written in the transaction that saves the turn, so a process
that dies mid-turn leaves neither, and a message handled again changes things once. Against Synapse:
tests/matrix/test_answered_once.py."""

from __future__ import annotations

import pytest

from bot.channels.matrix_store import Answer, MatrixStore
from bot.messages import Incoming, Reply

from .booking_helpers import outbox_texts
from .conftest import Chat

ADDRESS = "mx:@anna:example.org"


class Crash(BaseException):
    """The process dies at this point (nothing after it runs, the open transaction is rolled back)."""


def recorder(app, event_id: str, calls: list | None = None):
    store = MatrixStore(app.db, app.clock)

    async def record(conn, replies: list[Reply]) -> None:
        if calls is not None:
            calls.append(replies)
        await store.record(conn, Answer(event_id, "!room:example.org", ADDRESS, [{"body": r.text} for r in replies], []),
                           [(b.label, b.payload) for r in replies for b in r.all_buttons()])

    return store, record


async def dies(conn, replies) -> None:
    raise Crash


async def topics_step(app) -> tuple[Chat, str]:
    chat = Chat(app, ADDRESS, pace=3)
    await chat.say("jag vill boka ett möte")
    await chat.press("bk:ok")
    payload = next(b.payload for r in chat.last for b in r.all_buttons() if b.label == "Företagsform")
    return chat, payload


async def session_topics(app) -> list[str]:
    return (await app.users.load_session(ADDRESS)).data["topics"]


async def test_a_crash_before_the_turn_is_saved_leaves_nothing_and_the_message_is_handled_once(app):
    chat, payload = await topics_step(app)
    pending_before = (await app.users.get_or_create(ADDRESS, None, app.clock.now())).pending
    with pytest.raises(Crash):
        await app.engine.handle(Incoming(ADDRESS, payload=payload), record=dies)
    assert "foretagsform" not in await session_topics(app)  # the toggle was not saved ...
    assert (await app.users.get_or_create(ADDRESS, None, app.clock.now())).pending == pending_before
    store, record = recorder(app, "$event1")
    assert await store.answered("$event1") is False  # ... nor an answer

    replies = await app.engine.handle(Incoming(ADDRESS, payload=payload), record=record)  # delivered again
    assert "✓ Företagsform" in [b.label for r in replies for b in r.all_buttons()]
    assert (await session_topics(app)).count("foretagsform") == 1
    answer = await store.answered("$event1")
    assert isinstance(answer, Answer) and answer.contents[-1]["body"] == replies[-1].text
    assert ("✓ Företagsform", payload) in await store.options(ADDRESS)  # the options with the turn's state
    await store.sent("$event1")
    assert await store.answered("$event1") is True
    row = await app.db.fetchone("SELECT room_id, address, answer FROM matrix_events WHERE event_id = '$event1'")
    assert tuple(row) == (None, None, None)  # once sent, only the event id is kept


async def test_a_crash_after_booking_but_before_the_turn_was_saved_does_not_book_twice(app):
    chat = Chat(app, ADDRESS, pace=3)
    await chat.say("jag vill boka ett möte")
    await chat.press("bk:ok")
    await chat.press("Företagsform")
    await chat.press("Klar")
    await chat.press("Hoppa över")
    await chat.say("botkyrka")
    await chat.press(chat.buttons()[0])
    book = next(b.payload for r in chat.last for b in r.all_buttons() if b.label == "Boka")
    with pytest.raises(Crash):  # the meeting is committed and the officials told; then the process dies
        await app.engine.handle(Incoming(ADDRESS, payload=book), record=dies)
    meetings = await app.db.fetchall("SELECT ref FROM meetings WHERE founder_address = ?", (ADDRESS,))
    assert len(meetings) == 1
    ref = meetings[0]["ref"]
    officials = [o for o in (await app.booking.snapshot()).officials if o.address]
    told = {o.address: [t for t in await outbox_texts(app, o.address) if ref in t] for o in officials}

    store, record = recorder(app, "$event2")
    replies = await app.engine.handle(Incoming(ADDRESS, payload=book), record=record)  # delivered again
    assert replies and isinstance(await store.answered("$event2"), Answer)
    assert len(await app.db.fetchall("SELECT ref FROM meetings WHERE founder_address = ?", (ADDRESS,))) == 1
    assert sum(len(v) for v in told.values()) >= 2  # told once, at the first attempt ...
    for address in told:
        assert [t for t in await outbox_texts(app, address) if ref in t] == []  # ... and not again


async def test_every_kind_of_turn_records_its_answer_once(app, clock, monkeypatch):
    calls: list = []
    _, record = recorder(app, "$a", calls)
    await app.engine.handle(Incoming(ADDRESS, text="hej"), record=record)  # a turn that saves its state
    assert len(calls) == 1 and len(calls[0]) == 2  # the welcome and the answer, recorded together

    for n in range(app.engine.rate_limiter.capacity):  # then over the limit: the refusal is the answer
        calls.clear()
        _, record = recorder(app, f"$flood{n}", calls)
        replies = await app.engine.handle(Incoming(ADDRESS, text="hej"), record=record)
        assert calls == [replies]
    assert replies[0].text == app.catalogue.text("sv", "core.slow_down")

    clock.advance(minutes=5)

    async def broken(turn):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.engine, "_dispatch", broken)  # a failing turn: its error message is the answer
    calls.clear()
    _, record = recorder(app, "$error", calls)
    replies = await app.engine.handle(Incoming(ADDRESS, text="hej"), record=record)
    assert calls == [replies] and replies[0].text == app.catalogue.text("sv", "core.error")
    monkeypatch.undo()

    calls.clear()
    _, record = recorder(app, "$erase", calls)
    await app.engine.handle(Incoming(ADDRESS, text="/glom"), record=record)
    confirm = next(b.payload for r in calls[0] for b in r.all_buttons())
    calls.clear()
    _, record = recorder(app, "$erase2", calls)
    replies = await app.engine.handle(Incoming(ADDRESS, payload=confirm), record=record)  # the user's data erased
    assert calls == [replies]
