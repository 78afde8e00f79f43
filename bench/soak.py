"""Soak benchmark: many simulated users through the engine on a real SQLite file, with bookings, moves,
cancellations and reminders running, for several minutes.

    python bench/soak.py [--users 1000] [--seconds 180] [--interval 30] [--think 5] [--db FILE]
                         [--tick 0.25] [--step-minutes 4] [--flaky 0.2] [--start ISO]

Each user is a coroutine that waits a random "think" time (exponential, mean --think seconds), then does one
of: ask a FAQ question from tests/data/dev_a.yaml (most turns), press a button from the bot's last reply, book
a meeting (the whole dialogue, /boka to the confirmation), move or cancel one of their meetings (/mina and its
buttons), switch language, ask for their data (/mina_data), or erase themselves (/glom, then confirm).

The app's clock is a fake one that a driver moves --step-minutes every --tick real seconds (by default three real
minutes are up to two days: 24-hour and 1-hour reminders and the officials' 07:30 digests come due; a slow tick
slows the simulated day rather than skipping time), each time running the reminders as the scheduler's sweep
would (`run_due`); the background services and the app's one scheduler run as in `dukat-bord run`. The users
are Telegram addresses (tg:…); what the bot sends them and the (demo) officials goes through the real Notifier
to a stand-in transport that fails a --flaky share of sends, so reminders are retried. Because the fake clock
moves fast, the per-user rate limit seldom applies. Latency is the time of one `engine.handle` call.

Printed: per interval the turns, reply latency p50/p99, simulated time, reminders delivered and resident memory;
at the end the bookings, moves and cancellations completed, the error count (replies with the engine's error text
plus log records at ERROR or above, not counting the stand-in transport's simulated failures; target 0), the
reminders owed and delivered (owed: what `due_reminders`/`due_digests` said at any tick and still stands at the
end, its meeting as it was, with that recipient; delivered: 'sent' in `reminders_sent`; target: 0 lost) and
duplicates the transport received, and resident memory after warm-up (every user has written once) and at the
end (target: growth < 10%).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from booking.reminders import BEFORE, DIGEST, Key, due_digests, due_reminders  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.clock import STOCKHOLM, FakeClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messages import Incoming  # noqa: E402

# The booking dialogue by its buttons, in the order they come: consent, topics done, skip the idea, any
# municipality, the first time offered, confirm, and no to sharing the guide.
BOOKING_STEPS = ("bk:ok", "bk:tpd", "bk:idea-", "bk:mun:-", "bk:t:", "bk:yes", "bk:gs:n")
MOVE_STEPS = ("bk:t:", "bk:yes")
INSTEAD = {"bk:tpd": "bk:tp:"}  # topics done refused: choose a topic first


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class SimulatedOutage(OSError):
    """The stand-in transport's failure: a network that drops a share of sends."""


class ErrorCounter(logging.Handler):
    """Log records at ERROR or above, except the Notifier's report of a simulated outage."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.simulated = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and isinstance(record.exc_info[1], SimulatedOutage):
            self.simulated += 1
            return
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{record.name}: {record.getMessage()}")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def default_start() -> datetime:
    """A Tuesday 06:00 UTC (07:00 in Stockholm) at least 30 days ahead: the scheduler's jobs for due times on the
    fake clock are then in the real future, so only the driver runs the reminders, as in production."""
    day = datetime.now(timezone.utc).date() + timedelta(days=30)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=timezone.utc)


class Transport:
    """Stands in for Telegram behind the real Notifier: fails a share of sends, keeps what arrived."""

    def __init__(self, rnd: random.Random, failure_share: float, reminder_prefixes: tuple[str, ...],
                 clock: FakeClock) -> None:
        self.rnd = rnd
        self.failure_share = failure_share
        self.reminder_prefixes = reminder_prefixes
        self.failed = 0
        self.reminders: Counter[tuple[str, str]] = Counter()
        self.when: dict[tuple[str, str], list[datetime]] = {}  # on the fake clock, for a duplicate's report
        self.clock = clock

    async def deliver(self, address: str, replies) -> None:
        if self.rnd.random() < self.failure_share:
            self.failed += 1
            raise SimulatedOutage("simulated network failure")
        for reply in replies:
            if reply.text.startswith(self.reminder_prefixes):
                self.reminders[(address, reply.text)] += 1
                self.when.setdefault((address, reply.text), []).append(self.clock.now())


async def still_stands(db, key: Key) -> bool:
    """Whether what `key` reminds of is still as it was: the meeting active at the same time with this recipient
    (a digest: the official still has an active meeting that day). Read from the tables, not the sent log."""
    if key.kind == DIGEST:
        day = key.due.astimezone(STOCKHOLM).date()
        rows = await db.fetchall(
            "SELECT m.start_utc FROM meetings m JOIN participants p ON p.meeting_id = m.id"
            " JOIN officials o ON o.id = p.official_id"
            " WHERE o.address = ? AND p.state != 'declined' AND m.state != 'cancelled'", (key.recipient,))
        return any(datetime.fromisoformat(r["start_utc"]).astimezone(STOCKHOLM).date() == day for r in rows)
    meeting = await db.fetchone("SELECT founder_address, start_utc, state FROM meetings WHERE id = ?", (key.meeting_id,))
    if meeting is None or meeting["state"] == "cancelled":
        return False
    if datetime.fromisoformat(meeting["start_utc"]) - BEFORE[key.kind] != key.due:
        return False
    if meeting["founder_address"] == key.recipient:
        return True
    return await db.fetchone(
        "SELECT 1 FROM participants p JOIN officials o ON o.id = p.official_id"
        " WHERE p.meeting_id = ? AND p.state != 'declined' AND o.address = ?", (key.meeting_id, key.recipient)) is not None


async def soak(args: argparse.Namespace) -> int:
    questions = [item["q"] for item in yaml.safe_load((ROOT / "tests/data/dev_a.yaml").read_text())["questions"]]
    tmp = tempfile.mkdtemp(prefix="dukat-soak-")
    db_path = args.db or os.path.join(tmp, "soak.db")
    rss_before = rss_mb()
    clock = FakeClock(datetime.fromisoformat(args.start) if args.start else default_start())
    app = await build_app(Settings(db_path=db_path, data_dir=os.path.join(tmp, "data")), clock=clock)
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    error_texts = {app.catalogue.text(lang, "core.error") for lang in ("sv", "en")}
    slow_texts = {app.catalogue.text(lang, "core.slow_down") for lang in ("sv", "en")}
    prefixes = tuple(app.catalogue.text(lang, f"booking.reminder_{kind}").split("{ref}")[0]
                     for lang in ("sv", "en") for kind in BEFORE)
    rnd = random.Random(args.seed)
    transport = Transport(random.Random(args.seed + 1), args.flaky, prefixes, clock)
    for prefix in ("tg", "console"):  # the founders and the (demo) officials
        app.notifier.register(prefix, transport.deliver)
    reminders = app.reminders
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    warmed: set[int] = set()
    warm = asyncio.Event()
    owed: set[Key] = set()
    stop_at = time.monotonic() + args.seconds

    async def turn(incoming: Incoming) -> list:
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

    def payloads(replies: list) -> list[str]:
        return [b.payload for r in replies for b in r.all_buttons()]

    async def through(address: str, replies: list, steps: tuple[str, ...]) -> list:
        """Press, step by step, the first button whose payload starts with one of `steps`, until none is left
        (a step refused, such as topics done with none chosen, is answered by choosing one first)."""
        previous = None
        for _ in range(len(steps) + 3):
            choice = next((p for prefix in steps for p in payloads(replies) if p.startswith(prefix)), None)
            if choice is not None and choice == previous and choice in INSTEAD:
                choice = next((p for p in payloads(replies) if p.startswith(INSTEAD[choice])), choice)
            if choice is None:
                break
            replies, previous = await turn(Incoming(address, payload=choice)), choice
        return replies

    def has_calendar(replies: list, method: str) -> bool:
        return any(a.filename.endswith(".ics") and f"METHOD:{method}".encode() in a.content
                   for r in replies for a in r.attachments)

    async def book(address: str) -> list:
        replies = await through(address, await turn(Incoming(address, text="/boka")), BOOKING_STEPS)
        counts["booked"] += has_calendar(replies, "REQUEST")
        return replies

    async def change(address: str, move: bool) -> list:
        replies = await turn(Incoming(address, text="/mina"))
        action = "bk:mv:" if move else "bk:cx:"
        target = next((p for p in payloads(replies) if p.startswith(action)), None)
        if target is None:
            return replies
        replies = await turn(Incoming(address, payload=target))
        if move:
            replies = await through(address, replies, MOVE_STEPS)
            counts["moved"] += has_calendar(replies, "REQUEST")
        else:
            replies = await through(address, replies, ("bk:cxy:",))
            counts["cancelled"] += has_calendar(replies, "CANCEL")
        return replies

    async def user(n: int) -> None:
        address = f"tg:{700_000 + n}"
        last: list = []
        await asyncio.sleep(rnd.random() * args.think)
        while time.monotonic() < stop_at:
            roll = rnd.random()
            buttons = payloads(last)
            if roll < 0.5 or n not in warmed:
                last, kind = await turn(Incoming(address, text=rnd.choice(questions))), "faq"
            elif roll < 0.65 and buttons:
                last, kind = await turn(Incoming(address, payload=rnd.choice(buttons))), "button"
            elif roll < 0.77:
                last, kind = await book(address), "book"
            elif roll < 0.82:
                last, kind = await change(address, move=True), "move"
            elif roll < 0.86:
                last, kind = await change(address, move=False), "cancel"
            elif roll < 0.92:
                last, kind = await turn(Incoming(address, payload=rnd.choice(["lang:en", "lang:sv"]))), "language"
            elif roll < 0.98:
                last, kind = await turn(Incoming(address, text="/mina_data")), "my_data"
            else:
                last, kind = await turn(Incoming(address, text="/glom")), "erase"
                if "pv:erase" in payloads(last):
                    last = await turn(Incoming(address, payload="pv:erase"))
            counts[kind] += 1
            if n not in warmed:
                warmed.add(n)
                if len(warmed) == args.users:
                    warm.set()
            await asyncio.sleep(rnd.expovariate(1 / args.think))

    async def remind_tick(now: datetime) -> None:
        """Set the fake clock, note what is owed now (the pure functions over the database), send it."""
        clock.set(now)
        upcoming = await reminders._upcoming(now, now + timedelta(hours=25))
        owed.update(Key(d.meeting.id, d.recipient.address, d.kind, d.due) for d in due_reminders(upcoming, now))
        owed.update(Key("", d.recipient.address, DIGEST, d.due) for d in due_digests(upcoming, now, reminders.tz))
        counts["reminders_delivered"] += await reminders.run_due(now)

    async def driver() -> None:
        """One step of the fake clock per tick, never more, so it never jumps over a retry's time (on a loaded
        machine the simulated day runs slower instead)."""
        while time.monotonic() < stop_at:
            await asyncio.sleep(args.tick)
            await remind_tick(clock.now() + timedelta(minutes=args.step_minutes))

    await app.start_background()
    tasks = [asyncio.create_task(user(n)) for n in range(args.users)]
    ticking = asyncio.create_task(driver())
    started = time.monotonic()
    print(f"soak: {args.users} users, {args.seconds:.0f} s, think time mean {args.think} s, database {db_path}")
    print(f"fake clock from {clock.now().isoformat()}, {args.step_minutes} min every {args.tick} s; "
          f"the transport fails {args.flaky:.0%} of sends")
    print(f"rss before app {rss_before:.1f} MB, after build {rss_mb():.1f} MB")
    print(f"{'t (s)':>6} {'turns':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'sim. time':>17} {'remind.':>8} "
          f"{'rss MB':>8}")
    rss_warm = None
    while time.monotonic() < stop_at:
        await asyncio.sleep(min(args.interval, max(stop_at - time.monotonic(), 0.01)))
        window, latencies[:] = latencies[:], []
        if rss_warm is None and warm.is_set():
            rss_warm = rss_mb()
        print(f"{time.monotonic() - started:6.0f} {len(window):7d} {pct(window, 0.5) * 1000:8.1f} "
              f"{pct(window, 0.99) * 1000:8.1f} {max(window, default=0) * 1000:8.1f} "
              f"{clock.now().astimezone(STOCKHOLM):%a %d %b %H:%M} {counts['reminders_delivered']:8d} "
              f"{rss_mb():8.1f}", flush=True)
    await asyncio.gather(*tasks, ticking)
    # Drain: no more users; the clock moves on until every failed send has been retried (or given up).
    for _ in range(int(3 * 60 / args.step_minutes)):
        if not await app.db.fetchone("SELECT 1 FROM reminders_sent WHERE state IN ('failed', 'sending') LIMIT 1"):
            break
        await remind_tick(clock.now() + timedelta(minutes=args.step_minutes))
    await app.stop_background()
    rss_end = rss_mb()

    states = Counter({r["state"]: r["n"] for r in await app.db.fetchall(
        "SELECT state, COUNT(*) AS n FROM reminders_sent GROUP BY state")})
    sent = {Key.of(r) for r in await app.db.fetchall(
        "SELECT meeting_id, recipient, kind, due_utc FROM reminders_sent WHERE state = 'sent'")}
    standing = {key for key in owed if await still_stands(app.db, key)}
    lost = standing - sent
    duplicates = sum(n - 1 for n in transport.reminders.values() if n > 1)
    meetings = await app.db.fetchone(
        "SELECT COUNT(*) AS n, SUM(state = 'cancelled') AS cancelled, SUM(sequence > 0) AS changed FROM meetings")
    users_left = (await app.db.fetchone("SELECT count(*) AS n FROM users"))["n"]
    await app.close()
    errors_total = counts["error_replies"] + errors.count
    print(f"turns {counts['turns']} ({counts['turns'] / args.seconds:.0f}/s): "
          + ", ".join(f"{k} {counts[k]}" for k in ("faq", "button", "book", "move", "cancel", "language", "my_data",
                                                   "erase")))
    print(f"completed: bookings {counts['booked']}, moves {counts['moved']}, cancellations {counts['cancelled']}; "
          f"meetings in the database at the end {meetings['n']} ({meetings['cancelled'] or 0} cancelled), "
          f"users {users_left}; simulated time now {clock.now().astimezone(STOCKHOLM):%a %d %b %H:%M}")
    print(f"errors {errors_total} (error replies {counts['error_replies']}, error log records {errors.count}); "
          f"rate-limit answers {counts['slow_down']}")
    for line in errors.first:
        print(f"  error: {line}")
    print(f"reminders: owed {len(standing)}, delivered {len(standing & sent)}, lost {len(lost)}; "
          f"sent-log states {dict(sorted(states.items()))}; transport: {transport.failed} simulated failures, "
          f"{sum(transport.reminders.values())} reminders received, {duplicates} duplicates")
    for (address, text), n in transport.reminders.items():
        if n > 1:
            times = ", ".join(f"{t.astimezone(STOCKHOLM):%a %H:%M}" for t in transport.when.get((address, text), []))
            print(f"  duplicate: {text.splitlines()[0]!r} to a {address.split(':')[0]} address, at {times}")
    for key in sorted(lost)[:5]:
        print(f"  lost: {key.kind} due {key.due.isoformat()} to a {key.recipient.split(':')[0]} address")
    if rss_warm is None:
        print("warm-up (every user writing once) did not finish: memory growth not measured")
        return 1
    growth = (rss_end - rss_warm) / rss_warm * 100
    print(f"rss after warm-up {rss_warm:.1f} MB, at end {rss_end:.1f} MB, growth {growth:+.1f}% (target < 10%)")
    worked = counts["booked"] and counts["moved"] and counts["cancelled"] and standing
    return 0 if worked and errors_total == 0 and not lost and not duplicates and growth < 10 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between a user's messages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database file (default: a new temporary one)")
    parser.add_argument("--tick", type=float, default=0.25, help="real seconds between two moves of the fake clock")
    parser.add_argument("--step-minutes", type=float, default=4, help="fake minutes the clock moves per tick")
    parser.add_argument("--flaky", type=float, default=0.2, help="share of sends the stand-in transport fails")
    parser.add_argument("--start", help="the fake clock's start, ISO 8601 with offset (default: a Tuesday 06:00 UTC "
                        "at least 30 days ahead)")
    args = parser.parse_args()
    sys.exit(asyncio.run(soak(args)))


if __name__ == "__main__":
    main()
