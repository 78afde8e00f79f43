"""A database written by the released bot (tests/data/release-95d6c80.sqlite, made by make_release_db.py)
opens with today's code: the migrations run, every row is kept, and everyone carries on where they were."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from booking.model import MeetingState
from bot.app import all_migrations, build_app
from bot.channels.matrix_store import MatrixStore
from bot.channels.telegram_store import UpdateLog
from bot.clock import FakeClock
from bot.config import Settings
from knowledge.loader import load_knowledge
from tests.booking_helpers import outbox_texts
from tests.conftest import Chat

FIXTURE = Path(__file__).parent / "data" / "release-95d6c80.sqlite"
FACTS = json.loads(FIXTURE.with_suffix(".json").read_text(encoding="utf-8"))
# Columns today's migrations drop on purpose (table, column); everything else must survive the upgrade.
DROPPED = {("users", "role")}
# Tables whose rows today's migrations move into another table: old table -> (new table, {old column: new column},
# {new column: value every moved row has}).
MOVED = {"invites": ("role_invites", {"code_hash": "code_hash", "official_id": "subject", "created_at": "created_at",
                                      "expires_at": "expires_at", "used_at": "used_at"}, {"role": "official"})}
BOOKKEEPING = {"schema_migrations", "sqlite_sequence"}


def rows_by_table(path: Path) -> dict[str, list[dict]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: [dict(r) for r in conn.execute(f"SELECT * FROM {name}")] for name in names
                if name not in BOOKKEEPING}


@pytest.fixture
async def upgraded(tmp_path, knowledge_store):
    """The fixture's copy opened by today's code, five minutes after the release last wrote to it."""
    path = tmp_path / "dukat.db"
    shutil.copyfile(FIXTURE, path)
    clock = FakeClock(datetime.fromisoformat(FACTS["now"]) + timedelta(minutes=5))
    app = await build_app(Settings(db_path=str(path), data_dir=str(tmp_path / "data")), clock=clock,
                          knowledge=knowledge_store)
    yield app
    await app.close()


async def test_the_migrations_run_and_every_row_is_kept(upgraded, tmp_path):
    before = rows_by_table(FIXTURE)
    assert sum(map(len, before.values())) > 100 and all(before[t] for t in ("meetings", "guide_progress", "faq_history"))
    applied = {tuple(r) for r in await upgraded.db.fetchall("SELECT package, version FROM schema_migrations")}
    assert applied == {(m.package, m.version) for m in all_migrations()}
    after = rows_by_table(tmp_path / "dukat.db")
    for table, (target, columns, fixed) in MOVED.items():
        assert before[table] and table not in after, f"{table} should have moved into {target}"
        moved = [{new: row[old] for old, new in columns.items()} | fixed for row in before[table]]
        assert all(any(all(r[c] == v for c, v in m.items()) for r in after[target]) for m in moved)
    for table, rows in before.items():
        if table in MOVED:
            continue
        kept = [c for c in rows[0] if (table, c) not in DROPPED] if rows else []
        assert table in after, f"{table} is gone"
        now_rows = Counter(tuple(r[c] for c in kept) for r in after[table])
        old_rows = Counter(tuple(r[c] for c in kept) for r in rows)
        targets = {target for target, _, _ in MOVED.values()}
        # a table that received moved rows keeps all its own; every other table is exactly as it was
        assert (now_rows >= old_rows if table in targets else now_rows == old_rows), f"rows of {table} changed"
    columns = {r["name"] for r in await upgraded.db.fetchall("SELECT name FROM pragma_table_info('users')")}
    assert "role" not in columns


async def test_founders_carry_on_where_they_were(upgraded):
    anna = Chat(upgraded, FACTS["founder"], pace=3)
    label, payload = FACTS["pending_options"][0]  # her "menade du" options, still waiting for an answer
    await anna.say("1")
    entry = load_knowledge().entries[payload.removeprefix("faq:")]
    assert entry.answer.sv.split(".")[0] in anna.text()
    await anna.say("/guide")  # step 1 done, step 2 skipped: she is at step 3
    assert upgraded.catalogue.text("sv", "guide.step_header", number=3, total=len(upgraded.knowledge.current.guide),
                                   title=upgraded.knowledge.current.guide[2].title.sv) in anna.text()

    bo = Chat(upgraded, FACTS["halfway"], pace=3)  # stopped at the topics of a booking
    await bo.say("klar")
    assert upgraded.catalogue.text("sv", "booking.idea_prompt") in bo.text()


async def test_the_meeting_keeps_its_officials_and_no_reminder_goes_twice(upgraded):
    booking, reminders = upgraded.booking, upgraded.reminders
    meeting = await booking.meeting(FACTS["ref"])
    assert meeting.state == MeetingState.CONFIRMED
    assert list(meeting.official_ids) == [o["id"] for o in FACTS["officials"]]
    people = [FACTS["founder"]] + [o["address"] for o in FACTS["officials"]]
    for address in people:  # what the release left waiting in the console (its 24-hour reminders among it)
        assert any(FACTS["ref"] in t for t in await outbox_texts(upgraded, address))
    await reminders.run_due()  # the 24-hour reminders are due and were sent before the upgrade
    for address in people:
        assert await outbox_texts(upgraded, address) == []
    upgraded.clock.set(meeting.start - timedelta(hours=1))
    await reminders.run_due()
    for address in people:
        assert any(FACTS["ref"] in t for t in await outbox_texts(upgraded, address)), address


async def test_roles_links_questions_and_channel_bookkeeping_are_kept(upgraded):
    for official in FACTS["officials"]:
        assert "official" in await upgraded.roles.roles_of(official["address"])
    await Chat(upgraded, "console:ny-adress").say(f"/start inv_{FACTS['official_invite_code']}")  # unused until now
    assert "official" in await upgraded.roles.roles_of("console:ny-adress")
    coordinator = Chat(upgraded, FACTS["coordinator"], pace=3)
    await coordinator.say("/obesvarade")
    assert FACTS["unanswered"] in coordinator.text()
    await coordinator.say(f"/faq_historik {FACTS['reviewed_entry']}")
    assert f"({FACTS['coordinator']})" in coordinator.text()  # the confirmation as reviewed, by her

    assert await UpdateLog(upgraded.db, upgraded.clock).claim(FACTS["telegram_bot_id"], FACTS["telegram_update_id"]) \
        is False  # handled before the upgrade: not handled again
    assert await MatrixStore(upgraded.db, upgraded.clock).room_of(FACTS["matrix_user"]) == FACTS["matrix_room"]

    data = await upgraded.personal_data.export(FACTS["founder"])
    assert [m["ref"] for m in data["booking"]["meetings"]] == [FACTS["ref"]]
    assert data["guide"]["statuses"] and data["profile"]["conversation"]["flow"] == "faq"
