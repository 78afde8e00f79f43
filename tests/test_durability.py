"""Durability: a backup taken while two connections write restores to a sound, consistent database; a
process killed with SIGKILL while booking or while sending reminders leaves a sound database with no
half-made meeting, and after a restart no reminder is lost and none is sent twice (apart from the one
whose delivery the kill interrupted, which is sent again: at-least-once, see the README's threat model)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from booking.model import SlotTaken, TooManyMeetings
from booking.reminders import due_digests, due_reminders
from bot.app import build_app
from bot.db import integrity_problems, restore_from
from bot.messages import Incoming

from .conftest import START

REPO = Path(__file__).resolve().parents[1]


def consistency_problems(path: str | Path) -> list[str]:
    """Integrity, foreign keys, and the booking invariants every committed change keeps."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        problems = [] if problems == ["ok"] else problems
        problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check")]
        orgs = dict(conn.execute("SELECT id, organisation_id FROM officials"))
        for mid, ref, state in conn.execute("SELECT id, ref, state FROM meetings"):
            parts = conn.execute("SELECT official_id, state FROM participants WHERE meeting_id = ?", (mid,)).fetchall()
            if not parts:
                problems.append(f"meeting {ref} has no participants")
            attending = [o for o, s in parts if s != "declined"]
            if state != "cancelled" and len({orgs.get(o) for o in attending}) < 2:
                problems.append(f"{state} meeting {ref} without two organisations: {parts}")
            if state == "confirmed" and any(s != "accepted" for o, s in parts if s != "declined"):
                problems.append(f"confirmed meeting {ref} with an unanswered invitation: {parts}")
        for (address,) in conn.execute("SELECT address FROM sessions WHERE address NOT IN (SELECT address FROM users)"):
            problems.append(f"session without user {address}")
        return problems
    finally:
        conn.close()


def table_keys(path: str | Path) -> dict[str, set]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "users": {r[0] for r in conn.execute("SELECT address FROM users")},
            "meetings": {r[0] for r in conn.execute("SELECT id FROM meetings")},
        }
    finally:
        conn.close()


# ---------------------------------------------------------------------- backup while writing
async def test_a_backup_taken_while_two_connections_write_restores_consistent(app, settings, clock, knowledge_store, tmp_path):
    other = await build_app(settings, clock=clock, knowledge=knowledge_store)  # a second connection, like a second process
    stop = asyncio.Event()
    done = Counter()

    async def chatter(n: int) -> None:
        address = f"console:chatter-{n}"
        for i in range(10_000):
            if stop.is_set():
                return
            clock.advance(seconds=3)
            text = ("Vad är ett ASF?", "/boka", "hej", "bidrag lön", "/mina")[i % 5]
            await app.engine.handle(Incoming(address, text=text))
            if text == "/boka":
                await app.engine.handle(Incoming(address, payload="bk:ok"))
            done["turns"] += 1
            await asyncio.sleep(0)

    async def booker(service_app, n: int) -> None:
        service = service_app.booking
        for i in range(10_000):
            if stop.is_set():
                return
            founder = f"console:booker-{n}-{i}"
            try:
                slots = await service.offer(["asf"], None, limit=3)
                meeting = await service.book(founder, slots[i % len(slots)], ["asf"], None, "idé", "sv")
                done["booked"] += 1
                if i % 3 == 0:
                    await service.cancel(meeting.ref, founder)
            except (SlotTaken, TooManyMeetings):
                done["lost"] += 1
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(chatter(n)) for n in range(8)]
    tasks += [asyncio.create_task(booker(app, 0)), asyncio.create_task(booker(other, 1))]
    backups = []
    try:
        for k in range(4):
            while done["turns"] + done["booked"] < 40 * (k + 1):
                await asyncio.sleep(0.005)
            target = tmp_path / f"backup-{k}.db"
            await app.db.backup_to(target)
            backups.append(target)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await other.close()
    assert done["booked"] >= 4 and done["turns"] >= 40
    final = table_keys(settings.db_path)
    previous = {"users": set(), "meetings": set()}
    for k, backup in enumerate(backups):
        restored = tmp_path / f"restored-{k}.db"
        await restore_from(backup, restored)
        assert await integrity_problems(restored) == []
        assert consistency_problems(restored) == []
        keys = table_keys(restored)
        # A prefix of what happened: each backup holds everything the one before held, and the end holds all.
        assert previous["users"] <= keys["users"] <= final["users"]
        assert previous["meetings"] <= keys["meetings"] <= final["meetings"]
        previous = keys
    # The restored database opens as an app and answers.
    restored_app = await build_app(replace(settings, db_path=str(tmp_path / "restored-3.db")), clock=clock,
                                   knowledge=knowledge_store)
    try:
        assert await restored_app.engine.handle(Incoming("console:after", text="Vad är ett ASF?"))
    finally:
        await restored_app.close()


# ---------------------------------------------------------------------- SIGKILL
WORKER = textwrap.dedent(
    """
    import asyncio, os, random, sys
    from datetime import datetime, timedelta, timezone
    from bot.app import build_app
    from bot.clock import FakeClock
    from bot.config import Settings
    from bot.messages import Incoming
    from booking.model import MeetingNotFound, NotAllowed, SlotTaken, TooManyMeetings

    mode, db, data, log, start, seed = sys.argv[1:7]
    rnd = random.Random(int(seed))

    def say(line):
        sys.stdout.write(line + "\\n")
        sys.stdout.flush()

    async def booking(app):
        service = app.booking
        snap = await service.snapshot()
        addresses = {o.id: o.address for o in snap.officials}
        for i in range(100000):
            app.clock.advance(minutes=7)
            founder = f"console:kill-{seed}-{i}"
            await app.engine.handle(Incoming(founder, text="Vad är ett ASF?"))
            try:
                slots = await service.offer(["asf"], None, limit=4)
                meeting = await service.book(founder, rnd.choice(slots), ["asf"], None, "idé", "sv")
                action = rnd.random()
                if action < 0.4:
                    for oid in meeting.official_ids:
                        await service.respond(addresses[oid], meeting.ref, accept=True)
                elif action < 0.6:
                    await service.respond(addresses[meeting.official_ids[0]], meeting.ref, accept=False)
                elif action < 0.75:
                    await service.cancel(meeting.ref, founder)
                elif action < 0.9:
                    later = await service.offer(["asf"], None, limit=2, after=meeting.end + timedelta(days=1),
                                                ignore_meeting_id=meeting.id)
                    if later:
                        await service.move(meeting.ref, founder, later[0])
            except (SlotTaken, TooManyMeetings, MeetingNotFound, NotAllowed):
                pass
            say(f"op {i}")

    async def remind(app):
        reminders = app.reminders

        async def logged(key):
            with open(log, "a") as f:
                f.write(key + "\\n")
                f.flush()
                os.fsync(f.fileno())
            say("sent " + key)
            await asyncio.sleep(0.01)  # a network round trip: the kill may land while one is in flight
            return True

        async def send(due):
            return await logged(f"{due.meeting.id}|{due.recipient.address}|{due.kind}|{due.due.isoformat()}")

        async def send_digest(d):
            return await logged(f"|{d.recipient.address}|digest|{d.due.isoformat()}")

        reminders.send, reminders.send_digest = send, send_digest
        await reminders.recover()
        await reminders.run_due()
        say("done")
        await asyncio.sleep(60)

    async def main():
        clock = FakeClock(datetime.fromisoformat(start))
        app = await build_app(Settings(db_path=db, data_dir=data), clock=clock)
        say("ready")
        await (booking(app) if mode == "book" else remind(app))

    asyncio.run(main())
    """
)


def start_worker(tmp_path: Path, mode: str, db: str, start, seed: int, log: Path | None = None) -> subprocess.Popen:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(script), mode, db, str(tmp_path / "data"), str(log or tmp_path / "sent.log"),
         start.isoformat(), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path),
    )


def read_until(proc: subprocess.Popen, lines: int, prefix: str, timeout: float = 60) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while sum(1 for s in seen if s.startswith(prefix)) < lines:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError(f"worker stopped early: {seen[-5:]} {proc.stderr.read() if proc.poll() is not None else ''}")
        line = proc.stdout.readline()
        if line:
            seen.append(line.strip())
    return seen


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("seed", [1, 2])
async def test_sigkill_while_booking_leaves_no_half_made_meeting(tmp_path, seed):
    db = str(tmp_path / "kill.db")
    rnd = random.Random(seed)
    start = START
    for round_ in range(3):
        proc = start_worker(tmp_path, "book", db, start + timedelta(hours=round_), seed * 10 + round_)
        try:
            read_until(proc, rnd.randint(8, 25), "op ")
            time.sleep(rnd.random() * 0.05)  # land anywhere within an operation
        finally:
            kill(proc)
        assert await integrity_problems(db) == []
        assert consistency_problems(db) == []
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM meetings").fetchone()[0] >= 10
        states = {r[0] for r in conn.execute("SELECT DISTINCT state FROM meetings")}
        assert len(states) >= 2, states  # the worker went through more than one kind of change
    finally:
        conn.close()


async def test_sigkill_while_sending_reminders_loses_none_and_repeats_at_most_the_one_in_flight(
    settings, clock, knowledge_store, tmp_path
):
    # Meetings for a dozen founders, answered by their officials, created in this process.
    app = await build_app(settings, clock=clock, knowledge=knowledge_store)
    try:
        service = app.booking
        snap = await service.snapshot()
        addresses = {o.id: o.address for o in snap.officials}
        for i in range(12):
            slots = await service.offer(["asf"], None, limit=1, after=clock.now() + timedelta(days=2))
            meeting = await service.book(f"console:remind-{i}", slots[0], ["asf"], None, None, "sv")
            for oid in meeting.official_ids:
                await service.respond(addresses[oid], meeting.ref, accept=True)
        async with app.db.read() as conn:
            from booking import repository as repo

            meetings = await repo.active_meetings(conn, clock.now())
        first = min(m.start for m in meetings)
        now = first - timedelta(hours=1, minutes=-1)  # every 24-hour reminder late but owed, the first 1-hour one due
        upcoming = await app.reminders._upcoming(now, now + timedelta(hours=25))
        owed = {f"{d.meeting.id}|{d.recipient.address}|{d.kind}|{d.due.isoformat()}" for d in due_reminders(upcoming, now)}
        owed |= {f"|{d.recipient.address}|digest|{d.due.isoformat()}" for d in due_digests(upcoming, now, app.reminders.tz)}
    finally:
        await app.close()
    assert len(owed) >= 20

    log = tmp_path / "sent.log"
    proc = start_worker(tmp_path, "remind", settings.db_path, now, 0, log)
    try:
        read_until(proc, 7, "sent ")
        time.sleep(0.005)
    finally:
        kill(proc)
    assert await integrity_problems(settings.db_path) == []
    assert consistency_problems(settings.db_path) == []
    conn = sqlite3.connect(settings.db_path)
    in_flight = {"|".join(r) for r in conn.execute(
        "SELECT meeting_id, recipient, kind, due_utc FROM reminders_sent WHERE state = 'sending'")}
    conn.close()
    sent_before = log.read_text().split()
    assert 7 <= len(sent_before) < len(owed), "the kill should land part-way"
    assert len(in_flight) <= 1  # sends are one at a time: at most one was claimed and not yet marked

    proc = start_worker(tmp_path, "remind", settings.db_path, now, 0, log)
    try:
        read_until(proc, 1, "done")
    finally:
        kill(proc)
    sent = Counter(log.read_text().split())
    assert set(sent) == owed  # none lost, nothing sent that was not owed
    repeated = {k for k, n in sent.items() if n > 1}
    assert all(n <= 2 for n in sent.values())
    assert repeated <= (in_flight & set(sent_before))  # only a send the kill interrupted is repeated
    conn = sqlite3.connect(settings.db_path)
    states = Counter(r[0] for r in conn.execute("SELECT state FROM reminders_sent"))
    conn.close()
    assert states == {"sent": len(owed)}
