"""Matrix end-to-end benchmark: reply latency through a local Synapse, plain and encrypted.

    python bench/matrix_e2e.py [--users 10] [--questions 12]

Starts a throwaway Synapse exactly as the tests do (tests/matrix/synapse.py: SQLite, one process,
loopback, rate limits out of the way), runs the real app with its Matrix channel in this process (a
fresh database and store, the bundled FAQ and demo officials), and lets founders (matrix-nio clients
with their own crypto stores, in their own direct chats) each ask `--questions` FAQ questions one
after the other, without pause: first one founder alone, then `--users` founders at the same time;
in plain rooms, then in end-to-end encrypted rooms. Each founder asks one warm-up question first.

Latency of one question = from just before the founder's `room_send` until the founder's client has
received (and, when encrypted, decrypted) the last message the bot sent in answer: the whole path
founder -> Synapse -> bot sync -> engine -> bot send (encrypt) -> Synapse -> founder sync. Bot and
founders share this process and event loop, so the figures include the founders' own client work.
Timed with time.perf_counter; target p99 < 500 ms.

Founders never pause, so with several of them the homeserver works flat out and a question's
latency is mostly its wait in the homeserver's queue. To tell where the time goes, each row also
shows the questions answered per second, the engine's own time per question (`engine.handle`), and
the CPU used meanwhile by Synapse and by this process (bot and founders), in % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from knowledge.store import KnowledgeStore  # noqa: E402
from tests.matrix.clients import MatrixBot, MxUser  # noqa: E402
from tests.matrix.synapse import Synapse  # noqa: E402

QUESTIONS = [
    "Vad är ett ASF?",
    "Vad är Coompanion?",
    "Vilken företagsform passar ett socialt företag?",
    "Vad är lönebidrag?",
    "Vad är IOP?",
    "Hur säljer jag till kommunen?",
    "Vad är reserverad upphandling?",
    "Vem betalar arbetsträning?",
    "What is a work integrating social enterprise?",
    "Var finns registret över ASF?",
    "Hur startar jag ett ASF?",
    "Kan Försäkringskassan betala arbetsträning?",
]
FLOOD_CAPACITY = 15  # bot/ratelimit.py: messages one user may send at once before "slow down"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def founder_stream(bot: MatrixBot, founder: MxUser, room: str, questions: int, out: list[float]) -> None:
    assert bot.channel is not None
    for i in range(questions):
        started = time.perf_counter()
        event_id = await founder.send(room, QUESTIONS[i % len(QUESTIONS)])
        sent = await bot.channel.wait_answered(event_id, 30)
        if not sent:
            raise RuntimeError("the bot answered nothing (flood limit?)")
        replies = await founder.wait_events(sent, 30)
        out.append((max(r.at for r in replies) - started) * 1000)


async def run_mode(bot: MatrixBot, hs: Synapse, founders: list[MxUser], encrypted: bool, questions: int,
                   engine_ms: list[float]) -> dict:
    rooms = [await f.open_dm(bot.user_id, encrypted=encrypted) for f in founders]
    await asyncio.gather(*(founder_stream(bot, f, r, 1, []) for f, r in zip(founders, rooms)))  # warm-up
    latencies: list[float] = []
    engine_ms.clear()
    assert hs.process is not None
    hs_cpu, own_cpu, wall = cpu_seconds(hs.process.pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(founder_stream(bot, f, r, questions, latencies) for f, r in zip(founders, rooms)))
    wall = time.perf_counter() - wall
    return {"latencies": latencies, "rate": len(latencies) / wall, "engine": list(engine_ms),
            "hs_cpu": (cpu_seconds(hs.process.pid) - hs_cpu) / wall * 100,
            "own_cpu": (time.process_time() - own_cpu) / wall * 100}


def timed(handle, out: list[float]):
    async def wrapper(incoming):
        started = time.perf_counter()
        try:
            return await handle(incoming)
        finally:
            out.append((time.perf_counter() - started) * 1000)
    return wrapper


async def main(users: int, questions: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        hs = Synapse(base / "synapse").start()
        print(f"Synapse up in {time.perf_counter() - t0:.1f} s at {hs.url}")
        try:
            settings = Settings(db_path=str(base / "bench.db"), data_dir=str(base / "data"))
            bot = await MatrixBot(hs, settings, clock=None, knowledge=KnowledgeStore()).start()
            assert bot.channel is not None
            bot.channel.sync_timeout_ms = 30_000
            engine_ms: list[float] = []
            bot.app.engine.handle = timed(bot.app.engine.handle, engine_ms)
            rows = []
            try:
                for encrypted in (False, True):
                    for count in sorted({1, users}):
                        founders = [await MxUser.create(hs, base / "people") for _ in range(count)]
                        try:
                            result = await run_mode(bot, hs, founders, encrypted, questions, engine_ms)
                        finally:
                            for f in founders:
                                await f.close()
                        rows.append(("encrypted" if encrypted else "plain", count, result))
            finally:
                await bot.stop()
        finally:
            hs.stop()
    print(f"{questions} questions per founder, one after the other without pause (after one warm-up each)")
    print(f"{'rooms':<10} {'founders':>8} {'n':>5} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'q/s':>5} {'engine p50/p99 ms':>18} {'CPU synapse':>12} {'CPU bot+founders':>17}")
    for name, count, r in rows:
        lat, eng = r["latencies"], r["engine"]
        print(f"{name:<10} {count:>8} {len(lat):>5} {statistics.median(lat):>7.0f} {percentile(lat, 90):>7.0f} "
              f"{percentile(lat, 99):>7.0f} {max(lat):>7.0f} {r['rate']:>5.1f} "
              f"{statistics.median(eng):>8.1f} / {percentile(eng, 99):<7.1f} {r['hs_cpu']:>11.0f}% "
              f"{r['own_cpu']:>16.0f}%")
    for count in sorted({1, users}):
        worst = max(percentile(r["latencies"], 99) for _, c, r in rows if c == count)
        print(f"target p99 < 500 ms with {count} founder{'s' if count > 1 else ''} at once: "
              f"{'met' if worst < 500 else 'NOT met'} (worst p99 {worst:.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10, help="founders asking at the same time")
    parser.add_argument("--questions", type=int, default=12, help="questions per founder after the warm-up")
    args = parser.parse_args()
    if args.questions + 1 >= FLOOD_CAPACITY:
        parser.error(f"--questions must be below {FLOOD_CAPACITY - 1}: the per-user flood limit would answer "
                     "instead of the FAQ")
    asyncio.run(main(args.users, args.questions))
