"""A process that sends due reminders through the real ReminderService and the real Notifier, to a channel that
writes each message to a log file (what the user got) before its network round trip. A test kills it with
SIGKILL in the middle and starts it again (tests/test_reminder_delivery.py).

    python -m tests.delivery_worker DB DATA_DIR LOG NOW_ISO
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime

from bot.app import build_app
from bot.clock import FakeClock
from bot.config import Settings


async def main(db: str, data_dir: str, log: str, now: str) -> None:
    app = await build_app(Settings(db_path=db, data_dir=data_dir), clock=FakeClock(datetime.fromisoformat(now)))

    async def deliver(address: str, replies) -> None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"address": address, "text": replies[0].text}, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        print("sent", flush=True)
        await asyncio.sleep(0.01)  # the network round trip: a kill may land while one is in flight

    for prefix in ("tg", "console"):
        app.notifier.register(prefix, deliver)
    reminders = app.reminders
    await reminders.recover()
    await reminders.run_due()
    print("done", flush=True)
    await asyncio.sleep(60)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
