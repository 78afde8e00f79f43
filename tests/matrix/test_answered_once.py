"""Answered once, even across a crash, against a real Synapse: an answer recorded but not (all) sent when the
bot stopped is sent after the restart, once, and the message is not handled again."""

from __future__ import annotations

import asyncio
import json

from bot.channels.matrix_store import Answer
from bot.engine import Engine

from .test_matrix import _options


async def recorded(bot, event_id: str) -> Answer:
    """The answer the bot recorded for `event_id` (waits for the bot to get there)."""
    for _ in range(300):
        known = await bot.channel.store.answered(event_id)
        if isinstance(known, Answer):
            return known
        await asyncio.sleep(0.05)
    raise AssertionError("the bot did not answer")


def count_turns(monkeypatch) -> list:
    """Every message the engine handles from now on, in any app."""
    turns: list = []
    handle = Engine.handle

    async def counted(self, incoming, **kwargs):
        turns.append(incoming)
        return await handle(self, incoming, **kwargs)

    monkeypatch.setattr(Engine, "handle", counted)
    return turns


async def test_an_answer_lost_at_sending_is_sent_once_after_the_restart(bot, founder, monkeypatch):
    room = await founder.open_dm(bot.user_id)
    address = f"mx:{founder.user_id}"
    consent = await bot.ask(founder, room, "/boka")
    await bot.ask(founder, room, str(_options(consent).index("Ja, det är okej") + 1))

    async def dies(*args, **kwargs):  # the process stops after the turn, before the answer leaves
        raise ConnectionError("gone")

    monkeypatch.setattr(bot.channel, "_send", dies)
    bot.clock.advance(seconds=3)
    seen = len(founder.order)
    event = await founder.send(room, "Företagsform")
    answer = await recorded(bot, event)
    assert "✓ Företagsform" in answer.contents[-1]["body"]
    await bot.stop()
    assert founder.order[seen:] == []  # nothing reached the founder

    turns = count_turns(monkeypatch)
    await bot.start()  # a new channel on the same store and database
    sent = await bot.channel.wait_answered(event)
    received = await founder.wait_events(sent)
    assert [m.body for m in received] == [c["body"] for c in answer.contents]
    assert turns == []  # sent as recorded, not handled again
    assert (await bot.app.users.load_session(address)).data["topics"].count("foretagsform") == 1
    assert await bot.channel.store.answered(event) is True

    done = await bot.ask(founder, room, "Klar")  # the flow goes on from there
    assert "Hoppa över" in _options(done)
    assert founder.order[seen:] == [m.event_id for m in received + done]  # each answer once
    assert len(bot.channel._locks) == 0


async def test_a_half_sent_answer_to_an_event_delivered_again_is_completed_not_repeated(bot, founder, monkeypatch):
    room = await founder.open_dm(bot.user_id)
    credentials = bot.channel.store_dir / "credentials.json"
    before_event = json.loads(credentials.read_text())["next_batch"]
    send = bot.channel._send
    calls: list = []

    async def dies_after_the_first(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise ConnectionError("gone")
        return await send(*args, **kwargs)

    monkeypatch.setattr(bot.channel, "_send", dies_after_the_first)
    seen = len(founder.order)
    event = await founder.send(room, "Vad är ett ASF?")  # a first message: the welcome, then the answer
    answer = await recorded(bot, event)
    assert len(answer.contents) == 2
    await founder.wait_for(lambda m: m.body == answer.contents[0]["body"], after=seen)
    await bot.stop()
    # Killed before the sync token was written: the next run gets the event again.
    data = json.loads(credentials.read_text())
    data["next_batch"] = before_event
    credentials.write_text(json.dumps(data))

    turns = count_turns(monkeypatch)
    await bot.start()
    sent = await bot.channel.wait_answered(event)
    received = await founder.wait_events(sent)
    assert [m.body for m in received] == [c["body"] for c in answer.contents]
    later = await bot.ask(founder, room, "Vad är Coompanion?")  # handled after the event delivered again
    assert bot.channel.replayed >= 1 and len(turns) == 1  # delivered again, not handled again: only "later"
    # The part sent before the crash was sent again with the same transaction id: the homeserver kept one.
    assert founder.order[seen:] == [m.event_id for m in received + later]
