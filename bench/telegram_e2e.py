"""Benchmark: the Telegram channel end to end, many simulated users through the fake Bot API server.

The bot (app + TelegramChannel, real HTTP, long polling) runs in this process; the fake server and the
simulated users run in a child process, so the figures are the bot's own. Latency is the time from an
update being available at the server to the first reply of its turn arriving there; each user has at
most one message waiting for an answer. Questions are the FAQ's own questions.

  Rate limiter off (the bot's own capacity; targets >= 200 msg/s, p99 < 100 ms):
    capacity   all users send one message at once; messages per second until the last is answered
    steady     an open-loop stream at --rate messages/s; reply latency p50/p99
  Rate limiter on (as in production):
    steady     an open-loop stream at --limited-rate messages/s; latency, and the pace of what is sent
    one chat   one user sends six messages at once: replies to one chat keep to about one a second
    fan-out    notifications to --fanout users at once (as reminders are): at most 30 messages a second
    group      four messages to one group: spaced for 20 a minute

Usage: python bench/telegram_e2e.py [--users 1000] [--rate 200] [--seconds 10] [--limited-rate 20]
       [--fanout 150] [--no-group]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.telegram.fake_botapi import TOKEN, Call, FakeBotApi  # noqa: E402

REPLIES = {"sendmessage", "editmessagetext", "senddocument"}


# ====================================================================== child: server and users
class Users:
    """Simulated users on the fake server; records when each turn's first reply arrives."""

    def __init__(self, fake: FakeBotApi, questions: list[str]) -> None:
        self.fake = fake
        self.questions = itertools.cycle(questions)
        self.waiting: dict[int, float] = {}  # chat -> when its message became available
        self.latencies: list[float] = []
        self.answered_at: list[float] = []
        self.replies: dict[int, int] = {}
        self._answered = asyncio.Event()
        fake.on_call.append(self._observe)

    def _observe(self, call: Call) -> None:
        if not call.ok or call.method.lower() not in REPLIES or call.chat_id is None:
            return
        self.replies[call.chat_id] = self.replies.get(call.chat_id, 0) + 1
        sent_at = self.waiting.pop(call.chat_id, None)
        if sent_at is not None:
            self.latencies.append(call.at - sent_at)
            self.answered_at.append(call.at)
            self._answered.set()

    def say(self, chat: int, text: str | None = None) -> None:
        self.waiting[chat] = time.perf_counter()
        self.fake.send_text(chat, text or next(self.questions))

    async def until_answered(self, timeout: float = 60) -> None:
        deadline = time.perf_counter() + timeout
        while self.waiting and time.perf_counter() < deadline:
            self._answered.clear()
            try:
                await asyncio.wait_for(self._answered.wait(), max(0.0, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                break

    def reset(self) -> None:
        self.latencies, self.answered_at = [], []


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any `window` seconds."""
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def child_main(conn, questions: list[str], users: int) -> None:
    fake = await FakeBotApi().start()
    people = Users(fake, questions)
    chats = list(range(10_000_001, 10_000_001 + users))
    for chat in chats:
        fake.user(chat)
    loop = asyncio.get_running_loop()

    async def warm_up() -> dict[str, Any]:
        for chat in chats:
            people.say(chat, "/start")
        await people.until_answered()
        return {"unanswered": len(people.waiting)}

    async def capacity() -> dict[str, Any]:
        people.reset()
        start = time.perf_counter()
        for chat in chats:
            people.say(chat)
        await people.until_answered()
        elapsed = max(people.answered_at) - start
        return {"messages": len(people.latencies), "unanswered": len(people.waiting),
                "rate": len(people.latencies) / elapsed, "p50": percentile(people.latencies, 50),
                "p99": percentile(people.latencies, 99)}

    async def steady(rate: float, seconds: float, pool: int) -> dict[str, Any]:
        people.reset()
        free = itertools.cycle(chats[:pool])
        start = time.perf_counter()
        total = int(rate * seconds)
        skipped = 0
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            for _ in range(pool):
                chat = next(free)
                if chat not in people.waiting:  # one unanswered message per user at a time
                    people.say(chat)
                    break
            else:
                skipped += 1
        offered = (total - skipped) / (time.perf_counter() - start)
        await people.until_answered()
        return {"messages": len(people.latencies), "unanswered": len(people.waiting), "skipped": skipped,
                "offered": offered, "p50": percentile(people.latencies, 50), "p99": percentile(people.latencies, 99)}

    async def burst_one_chat(count: int) -> dict[str, Any]:
        chat = chats[-1]
        mark = len(fake.calls)
        for _ in range(count):
            fake.send_text(chat, next(people.questions))
        await fake.wait_for(lambda: len(fake.sent(chat, mark)) >= count, timeout=60)
        times = [c.at for c in fake.sent(chat, mark)]
        return {"messages": len(times), "span": times[-1] - times[0], "max_1s": max_in_window(times, 1.0)}

    async def mark() -> int:
        return len(fake.calls)

    async def pace(since: int, chat: int | None = None) -> dict[str, Any]:
        sent = [c for c in fake.sent(chat, since) if c.method.lower() in REPLIES]
        times = [c.at for c in sent]
        per_chat: dict[int, list[float]] = {}
        for c in sent:
            per_chat.setdefault(c.chat_id, []).append(c.at)
        span = (times[-1] - times[0]) if len(times) > 1 else 0.0
        return {"messages": len(times), "span": span, "max_1s": max_in_window(times, 1.0) if times else 0,
                "max_60s": max_in_window(times, 60.0) if times else 0,
                "chat_max_1s": max((max_in_window(t, 1.0) for t in per_chat.values()), default=0),
                "gaps": [round(b - a, 2) for a, b in zip(times, times[1:])][:10] if chat is not None else [],
                "throttled": sum(1 for c in fake.calls[since:] if c.status == 429)}

    commands = {"warm_up": warm_up, "capacity": capacity, "steady": steady, "burst_one_chat": burst_one_chat,
                "mark": mark, "pace": pace}
    conn.send({"base_url": fake.base_url})
    while True:
        name, args = await loop.run_in_executor(None, conn.recv)
        if name == "stop":
            break
        conn.send(await commands[name](**args))
    await fake.stop()


def child(conn, questions: list[str], users: int) -> None:
    asyncio.run(child_main(conn, questions, users))


# ====================================================================== parent: the bot
async def main(args: argparse.Namespace) -> None:
    from bot.app import build_app
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.messages import Reply
    from bot.runner import settle_heap
    from knowledge.store import KnowledgeStore

    logging.basicConfig(level=logging.WARNING)
    knowledge = KnowledgeStore()
    questions = [e.question.get("sv") for e in knowledge.current.entries.values()]
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    server = ctx.Process(target=child, args=(there, questions, args.users), daemon=True)
    server.start()
    loop = asyncio.get_running_loop()

    async def ask(name: str, **kwargs: Any) -> Any:
        await loop.run_in_executor(None, here.send, (name, kwargs))
        return await loop.run_in_executor(None, here.recv)

    base_url = (await loop.run_in_executor(None, here.recv))["base_url"]
    workdir = tempfile.TemporaryDirectory()
    settings = Settings(db_path=str(Path(workdir.name) / "bench.db"), data_dir=workdir.name,
                        telegram_token=TOKEN, telegram_base_url=base_url)
    app = await build_app(settings, knowledge=knowledge)
    print(f"Telegram end to end: {args.users} simulated users, fake Bot API server in another process")

    channel = TelegramChannel(app, rate_limiter=False)
    await channel.start()
    settle_heap()  # as `dukat-bord run` does once its channels are up
    try:
        await ask("warm_up")
        cpu = time.process_time()
        cap = await ask("capacity")
        cap_cpu = (time.process_time() - cpu) / max(1, cap["messages"])
        print("\nrate limiter off")
        print(f"  capacity  {cap['messages']} messages at once: {cap['rate']:.0f} msg/s "
              f"(p50 {cap['p50'] * 1000:.0f} ms, p99 {cap['p99'] * 1000:.0f} ms while queued)"
              + (f", {cap['unanswered']} unanswered" if cap["unanswered"] else "")
              + f"; bot CPU {cap_cpu * 1000:.2f} ms a message")
        cpu = time.process_time()
        st = await ask("steady", rate=args.rate, seconds=args.seconds, pool=args.users)
        st_cpu = (time.process_time() - cpu) / max(1, st["messages"])
        verdict = "meets" if st["offered"] >= 200 * 0.98 and st["p99"] < 0.1 and not st["unanswered"] else "MISSES"
        print(f"  steady    {st['offered']:.0f} msg/s offered for {args.seconds:.0f} s: {st['messages']} answered, "
              f"latency p50 {st['p50'] * 1000:.1f} ms, p99 {st['p99'] * 1000:.1f} ms "
              f"({verdict} >= 200 msg/s with p99 < 100 ms); bot CPU {st_cpu * 1000:.2f} ms a message")
    finally:
        await channel.stop()

    channel = TelegramChannel(app)  # the production rate limiter
    await channel.start()
    try:
        print("\nrate limiter on (Telegram: ~30 msg/s overall, ~1 msg/s per chat, 20/min per group)")
        since = await ask("mark")
        st = await ask("steady", rate=args.limited_rate, seconds=args.seconds, pool=min(args.users, 200))
        sent = await ask("pace", since=since)
        print(f"  steady    {st['offered']:.0f} msg/s offered: latency p50 {st['p50'] * 1000:.1f} ms, "
              f"p99 {st['p99'] * 1000:.1f} ms; most sent in any 1 s: {sent['max_1s']}, "
              f"to one chat in any 1 s: {sent['chat_max_1s']}")
        one = await ask("burst_one_chat", count=6)
        print(f"  one chat  6 messages at once: answered over {one['span']:.1f} s, "
              f"most in any 1 s: {one['max_1s']} (a burst of 3, then 1 a second)")
        since = await ask("mark")
        started = time.perf_counter()
        targets = [10_000_001 + i for i in range(min(args.fanout, args.users))]
        await asyncio.gather(*(channel.deliver(f"tg:{t}", [Reply("Påminnelse: ditt Dukat bord-möte är i morgon.")])
                               for t in targets))
        took = time.perf_counter() - started
        fan = await ask("pace", since=since)
        print(f"  fan-out   {fan['messages']} notifications in {took:.1f} s = {fan['messages'] / took:.1f} msg/s; "
              f"most in any 1 s: {fan['max_1s']}; 429s: {fan['throttled']}")
        if not args.no_group:
            since = await ask("mark")
            started = time.perf_counter()
            await asyncio.gather(*(channel.deliver("tg:-1001234567", [Reply(f"Gruppmeddelande {i}")]) for i in range(4)))
            group = await ask("pace", since=since, chat=-1001234567)
            print(f"  group     4 messages in {time.perf_counter() - started:.1f} s, gaps {group['gaps']} s "
                  f"(20 a minute)")
    finally:
        await channel.stop()
        await app.close()
        here.send(("stop", {}))
        server.join(5)
        workdir.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages/s offered with the rate limiter off")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--limited-rate", type=float, default=20.0, help="messages/s offered with the limiter on")
    parser.add_argument("--fanout", type=int, default=150)
    parser.add_argument("--no-group", action="store_true", help="skip the 9-second group pacing demonstration")
    asyncio.run(main(parser.parse_args()))
