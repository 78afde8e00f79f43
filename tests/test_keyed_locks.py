"""Per-user locks are freed once a user's messages are handled, and one user's messages still run one at a
time: the engine, the Telegram channel's update processor and the shared `KeyedLocks` they use (the Matrix
channel's are checked against Synapse in tests/matrix)."""

from __future__ import annotations

import asyncio

import pytest
from telegram import CallbackQuery, Update, User

from bot.channels.telegram import PerUserOrder
from bot.keyed_locks import KeyedLocks
from bot.messages import Incoming


async def test_200_users_leave_no_lock_behind(app):
    replies = await asyncio.gather(*(app.engine.handle(Incoming(f"console:u{n}", text="hej")) for n in range(200)))
    assert all(replies)
    assert len(app.engine.user_locks) == 0


async def test_one_users_messages_run_one_at_a_time_and_others_alongside(app, monkeypatch):
    running: dict[str, int] = {}
    overlap: list[tuple[str, ...]] = []
    dispatch = app.engine._dispatch

    async def watched(turn):
        running[turn.address] = running.get(turn.address, 0) + 1
        overlap.append(tuple(sorted(a for a, n in running.items() for _ in range(n))))
        for _ in range(5):
            await asyncio.sleep(0)  # let every other task run (no time passes)
        try:
            return await dispatch(turn)
        finally:
            running[turn.address] -= 1

    monkeypatch.setattr(app.engine, "_dispatch", watched)
    messages = [Incoming("console:anna", text="/boka"), Incoming("console:anna", payload="bk:ok"),
                Incoming("console:bo", text="hej"), Incoming("console:anna", text="Företagsform")]
    replies = await asyncio.gather(*(app.engine.handle(m) for m in messages))
    assert all(overlap_set.count("console:anna") <= 1 for overlap_set in overlap)
    assert any(set(o) == {"console:anna", "console:bo"} for o in overlap)  # different users side by side
    assert "✓ Företagsform" in [b.label for r in replies[3] for b in r.all_buttons()]  # anna's in arrival order
    assert len(app.engine.user_locks) == 0


async def test_keyed_locks_keep_arrival_order_and_free_waiters_that_give_up():
    locks: KeyedLocks[str] = KeyedLocks()
    order: list[int] = []
    gate = asyncio.Event()

    async def work(n: int) -> None:
        async with locks.hold("k"):
            order.append(n)
            await gate.wait()

    tasks = [asyncio.create_task(work(n)) for n in range(4)]
    await asyncio.sleep(0)
    assert len(locks) == 1 and order == [0]
    tasks[2].cancel()  # a waiter that gives up is no longer counted
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert order == [0, 1, 3] and len(locks) == 0


def _press(update_id: int, user_id: int) -> Update:
    user = User(id=user_id, first_name="x", is_bot=False)
    return Update(update_id, callback_query=CallbackQuery(id=str(update_id), from_user=user, chat_instance="c", data="d"))


async def test_telegram_updates_of_200_users_leave_no_lock_behind():
    processor = PerUserOrder(running=8)
    inside: dict[int, int] = {}
    most: list[int] = []

    async def handle(user_id: int) -> None:
        inside[user_id] = inside.get(user_id, 0) + 1
        most.append(inside[user_id])
        for _ in range(3):
            await asyncio.sleep(0)
        inside[user_id] -= 1

    updates = [_press(n, 1000 + n % 200) for n in range(400)]  # two updates each
    await asyncio.gather(*(processor.do_process_update(u, handle(u.effective_user.id)) for u in updates))
    assert max(most) == 1  # one user's updates one at a time
    assert len(processor._locks) == 0


async def test_a_failing_holder_frees_its_lock():
    locks: KeyedLocks[int] = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold(1):
            raise RuntimeError("boom")
    assert len(locks) == 0
