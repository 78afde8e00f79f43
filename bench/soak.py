"""Soak benchmark: many simulated users through the engine on a real SQLite file for several minutes.

    python bench/soak.py [--users 1000] [--seconds 180] [--interval 30] [--think 5] [--db FILE]

Each user is a coroutine that waits a random "think" time (exponential, mean --think seconds), then
does one of: ask a FAQ question from tests/data/dev_a.yaml (most turns), press a button from the
bot's last reply, start booking (/boka), switch language, ask for their data (/mina_data), or erase
themselves (/glom, then confirm). Time is the real clock, so the per-user rate limit applies as in
production. Latency is the time of one `engine.handle` call (time.perf_counter).

Printed: per interval the turns, reply latency p50/p99 and resident memory; at the end the error count
(replies with the engine's error text plus log records at ERROR or above; target 0), rate-limit answers,
and resident memory after warm-up (every user has written once) and at the end (target: growth < 10%).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messages import Incoming  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def soak(args: argparse.Namespace) -> int:
    questions = [item["q"] for item in yaml.safe_load((ROOT / "tests/data/dev_a.yaml").read_text())["questions"]]
    tmp = tempfile.mkdtemp(prefix="dukat-soak-")
    db_path = args.db or os.path.join(tmp, "soak.db")
    rss_before = rss_mb()
    app = await build_app(Settings(db_path=db_path, data_dir=os.path.join(tmp, "data")))
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    error_texts = {app.catalogue.text(lang, "core.error") for lang in ("sv", "en")}
    slow_texts = {app.catalogue.text(lang, "core.slow_down") for lang in ("sv", "en")}
    rnd = random.Random(args.seed)
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    warmed: set[int] = set()
    warm = asyncio.Event()
    stop_at = time.monotonic() + args.seconds

    async def turn(address: str, incoming: Incoming) -> list:
        started = time.perf_counter()
        replies = await app.engine.handle(incoming)
        latencies.append(time.perf_counter() - started)
        counts["turns"] += 1
        for r in replies:
            if r.text in error_texts:
                counts["error_replies"] += 1
            if r.text in slow_texts:
                counts["slow_down"] += 1
        return replies

    async def user(n: int) -> None:
        address = f"console:soak-{n}"
        last: list = []
        await asyncio.sleep(rnd.random() * args.think)
        while time.monotonic() < stop_at:
            roll = rnd.random()
            buttons = [b.payload for r in last for b in r.all_buttons()]
            if roll < 0.6 or n not in warmed:
                incoming, kind = Incoming(address, text=rnd.choice(questions)), "faq"
            elif roll < 0.8 and buttons:
                incoming, kind = Incoming(address, payload=rnd.choice(buttons)), "button"
            elif roll < 0.87:
                incoming, kind = Incoming(address, text="/boka"), "book"
            elif roll < 0.94:
                incoming, kind = Incoming(address, payload=rnd.choice(["lang:en", "lang:sv"])), "language"
            elif roll < 0.98:
                incoming, kind = Incoming(address, text="/mina_data"), "my_data"
            else:
                incoming, kind = Incoming(address, text="/glom"), "erase"
            last = await turn(address, incoming)
            counts[kind] += 1
            if kind == "erase" and any(b.payload == "pv:erase" for r in last for b in r.all_buttons()):
                last = await turn(address, Incoming(address, payload="pv:erase"))
            if n not in warmed:
                warmed.add(n)
                if len(warmed) == args.users:
                    warm.set()
            await asyncio.sleep(rnd.expovariate(1 / args.think))

    tasks = [asyncio.create_task(user(n)) for n in range(args.users)]
    started = time.monotonic()
    print(f"soak: {args.users} users, {args.seconds:.0f} s, think time mean {args.think} s, database {db_path}")
    print(f"rss before app {rss_before:.1f} MB, after build {rss_mb():.1f} MB")
    print(f"{'t (s)':>6} {'turns':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'rss MB':>8}")
    rss_warm = None
    while time.monotonic() < stop_at:
        await asyncio.sleep(min(args.interval, max(stop_at - time.monotonic(), 0.01)))
        window, latencies[:] = latencies[:], []
        if rss_warm is None and warm.is_set():
            rss_warm = rss_mb()
        print(f"{time.monotonic() - started:6.0f} {len(window):7d} {pct(window, 0.5) * 1000:8.1f} "
              f"{pct(window, 0.99) * 1000:8.1f} {max(window, default=0) * 1000:8.1f} {rss_mb():8.1f}", flush=True)
    await asyncio.gather(*tasks)
    rss_end = rss_mb()
    errors_total = counts["error_replies"] + errors.count
    booked = (await app.db.fetchone("SELECT count(*) AS n FROM meetings"))["n"]
    users_left = (await app.db.fetchone("SELECT count(*) AS n FROM users"))["n"]
    await app.close()
    print(f"turns {counts['turns']} ({counts['turns'] / args.seconds:.0f}/s): "
          + ", ".join(f"{k} {counts[k]}" for k in ("faq", "button", "book", "language", "my_data", "erase")))
    print(f"meetings booked {booked}, users in the database at the end {users_left}")
    print(f"errors {errors_total} (error replies {counts['error_replies']}, error log records {errors.count}); "
          f"rate-limit answers {counts['slow_down']}")
    if rss_warm is None:
        print("warm-up (every user writing once) did not finish: memory growth not measured")
        return 1
    growth = (rss_end - rss_warm) / rss_warm * 100
    print(f"rss after warm-up {rss_warm:.1f} MB, at end {rss_end:.1f} MB, growth {growth:+.1f}% (target < 10%)")
    return 0 if errors_total == 0 and growth < 10 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between a user's messages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database file (default: a new temporary one)")
    args = parser.parse_args()
    sys.exit(asyncio.run(soak(args)))


if __name__ == "__main__":
    main()
