"""Make the upgrade test's fixture: a database written by a released version of the bot.

    python tests/data/make_release_db.py [--commit 95d6c80]

takes the release's code out of git (`git archive`), runs it in a fresh process with that code first on
the path, and has it fill a database the way people would: founders talking, booking and halfway through
a booking, officials accepting, reminders sent, a coordinator confirming an FAQ entry, the start guide,
Telegram and Matrix bookkeeping. It writes tests/data/release-<commit>.sqlite and, beside it,
release-<commit>.json with the facts the test checks (addresses, the meeting's reference, the clock).
Only the release's public ways in are used (the engine, the services, the stores), so the rows are the
ones that release writes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RELEASE = "95d6c80"

# Everyone in the fixture; console addresses where the release would notify them (no channel runs here).
FOUNDER = "console:anna-grundare"  # booked a meeting, used the guide, left a "menade du" unanswered
HALFWAY = "console:bo-grundare"  # stopped halfway through booking
ASKER = "console:cilla"  # asked something the bot could not answer
COORDINATOR = "console:karin-samordnare"
TELEGRAM_USER = "tg:5550001"
MATRIX_USER = "mx:@eva:example.org"
MATRIX_ROOM = "!direkt:example.org"
MATRIX_EVENT = "$handled-event:example.org"
TELEGRAM_BOT_ID, TELEGRAM_UPDATE_ID = 777000, 4242
UNANSWERED = "Hur många giraffer får plats i en Volvo?"
REVIEWED_ENTRY = "asf-vad-ar"
START = datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)  # a Tuesday morning in Stockholm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default=RELEASE, help="the release to take the code from")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)  # set when run with the release's code
    args = parser.parse_args()
    if args.inside:
        asyncio.run(fill(args.inside))
        return
    out = HERE / f"release-{args.commit}.sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        code, work = Path(tmp) / "code", Path(tmp) / "work"
        code.mkdir()
        work.mkdir()
        top = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--show-toplevel"], check=True, capture_output=True,
                             text=True).stdout.strip()
        archive = subprocess.run(["git", "-C", top, "archive", args.commit], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DUKAT_", "TELEGRAM_", "MATRIX_"))}
        env.update(PYTHONPATH=str(code), DUKAT_DATA_DIR=str(work), DUKAT_DB=str(work / "dukat.db"))
        # This file, run with the release's code first on the path (the release does not have it).
        subprocess.run([sys.executable, __file__, "--inside", str(work)], env=env, cwd=code, check=True)
        db = sqlite3.connect(work / "dukat.db")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        db.execute("VACUUM")
        db.close()
        shutil.copyfile(work / "dukat.db", out)
        facts = json.loads((work / "facts.json").read_text(encoding="utf-8"))
    facts["commit"] = args.commit
    out.with_suffix(".json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(out)


async def fill(work: Path) -> None:
    import bot
    from bot.app import build_app
    from bot.channels.matrix_store import MatrixStore
    from bot.channels.telegram_store import UpdateLog
    from bot.clock import FakeClock
    from bot.config import Settings
    from knowledge.loader import bundled_dir
    from knowledge.store import KnowledgeStore

    assert Path(bot.__file__).is_relative_to(Path.cwd()), f"not the release's code: {bot.__file__}"
    knowledge = work / "knowledge"  # a copy, as `faq copy` makes: the coordinator's confirmation writes to it
    shutil.copytree(bundled_dir(), knowledge)
    settings = Settings.from_env()
    app = await build_app(settings, clock=FakeClock(START), knowledge=KnowledgeStore(knowledge))
    try:
        facts = await _conversations(app)
        await UpdateLog(app.db, app.clock).claim(TELEGRAM_BOT_ID, TELEGRAM_UPDATE_ID)
        matrix = MatrixStore(app.db, app.clock)
        await matrix.set_room(MATRIX_USER, MATRIX_ROOM)
        await matrix.set_options(MATRIX_USER, [["Boka ett möte", "bk:start"]])
        await matrix.claim(MATRIX_EVENT)
        facts["now"] = app.clock.now().isoformat()
    finally:
        await app.close()
    (work / "facts.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False), encoding="utf-8")


async def _conversations(app) -> dict:
    from bot.messages import Incoming
    from tests.conftest import Chat, vague_question  # the release's own test helpers

    def person(address: str) -> Chat:
        return Chat(app, address, pace=20)

    booking, reminders = app.services["booking"], app.services["reminders"]
    await app.roles.grant(COORDINATOR)
    await app.roles.create_invite()  # an unused coordinator code
    await person(COORDINATOR).say("hej")
    app.clock.advance(seconds=20)  # she confirms the entry as reviewed (a button of /inaktuella): a faq_history row
    await app.engine.handle(Incoming(COORDINATOR, payload=f"co:d:{REVIEWED_ENTRY}"))
    assert await app.db.fetchone("SELECT 1 FROM faq_history WHERE entry_id = ?", (REVIEWED_ENTRY,))

    anna = person(FOUNDER)
    await anna.say("Vad är ett ASF?")
    await anna.say("/guide")
    await anna.press("Klart ✓")
    await anna.press("Hoppa över")
    await anna.say("jag vill boka ett möte")
    await anna.press("bk:ok")
    await anna.press("Företagsform")
    await anna.press("Klar")
    await anna.say("Ett café med arbetsträning")
    await anna.say("botkyrka")
    times = [b.payload for b in anna.last[-1].all_buttons() if b.payload.startswith("bk:t:")]
    await anna.press(times[-1])  # the last time offered: a few days ahead
    await anna.press("Boka")
    await anna.press("Ja, visa dem")  # she shares her guide progress with the officials
    ref = anna.text().split("Referens: ")[1].split()[0].strip(".,")
    meeting = await booking.meeting(ref)
    snap = await booking.snapshot()
    officials = [snap.official(i) for i in meeting.official_ids]
    assert len(officials) == 2, officials
    for official in officials:
        await booking.respond(official.address, ref, True)
    invite = await booking.create_invite(officials[0].id)  # an unused linking code
    await person(officials[1].address).say("/agenda")  # an official who has written to the bot

    bo = person(HALFWAY)
    await bo.say("jag vill boka ett möte")
    await bo.press("bk:ok")
    await bo.press("Företagsform")  # and then stopped: the session waits at the topics

    await person(ASKER).say(UNANSWERED)
    await person(TELEGRAM_USER).say("Vad är F-skatt?")
    await person(MATRIX_USER).say("Hur startar man ett kooperativ?")

    meeting = await booking.meeting(ref)
    app.clock.set(meeting.start - timedelta(hours=23))
    sent = await reminders.run_due()
    assert sent >= 3, sent  # the founder and both officials, 24 hours ahead

    await anna.say(vague_question(app.knowledge))  # "menade du": the options wait for her answer
    options = [(b.label, b.payload) for r in anna.last for b in r.all_buttons()]
    assert len(options) >= 2, anna.text()
    return {
        "founder": FOUNDER, "halfway": HALFWAY, "asker": ASKER, "coordinator": COORDINATOR,
        "telegram_user": TELEGRAM_USER, "matrix_user": MATRIX_USER, "matrix_room": MATRIX_ROOM,
        "matrix_event": MATRIX_EVENT, "telegram_bot_id": TELEGRAM_BOT_ID, "telegram_update_id": TELEGRAM_UPDATE_ID,
        "unanswered": UNANSWERED, "reviewed_entry": REVIEWED_ENTRY, "ref": ref,
        "officials": [{"id": o.id, "address": o.address} for o in officials], "reminders_sent": sent,
        "pending_options": options, "official_invite_code": invite,
    }


if __name__ == "__main__":
    main()
