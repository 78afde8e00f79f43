"""The coordinators' weekly messages: the stale-entry reminder and the digest of last week's figures, Mondays from
08:00 Stockholm time, each once a week even across restarts (`coordinator_jobs` remembers the week sent)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from .clock import STOCKHOLM
from .features.coordinator import each_coordinator, stale_reply
from .messages import Reply
from .reports import build_report, report_text

log = logging.getLogger(__name__)

JOB_ID = "coordinator-weekly"


class CoordinatorJobs:
    WEEKDAY, HOUR = 0, 8

    def __init__(self, app: Any) -> None:
        self.app = app

    @staticmethod
    def period(now: datetime) -> str | None:
        """The ISO week whose messages are due at `now`, or None before Monday 08:00 of that week."""
        local = now.astimezone(STOCKHOLM)
        if (local.weekday(), local.hour) < (CoordinatorJobs.WEEKDAY, CoordinatorJobs.HOUR):
            return None
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"

    async def run_due(self, now: datetime | None = None) -> list[str]:
        """Send what is due this week and not yet sent; returns the names of the jobs that ran."""
        now = now or self.app.clock.now()
        period = self.period(now)
        if period is None:
            return []
        ran = []
        for name, job in (("stale", self._send_stale), ("digest", self._send_digest)):
            async with self.app.db.transaction() as conn:
                async with conn.execute("SELECT last_period FROM coordinator_jobs WHERE name = ?", (name,)) as cur:
                    row = await cur.fetchone()
                if row is not None and row[0] >= period:
                    continue
                await conn.execute(
                    "INSERT INTO coordinator_jobs(name, last_period, ran_at) VALUES (?, ?, ?) ON CONFLICT(name)"
                    " DO UPDATE SET last_period = excluded.last_period, ran_at = excluded.ran_at",
                    (name, period, now.isoformat()),
                )
            await job(now)
            ran.append(name)
        return ran

    async def _send_stale(self, now: datetime) -> None:
        async for address, lang, t in each_coordinator(self.app):
            reply = stale_reply(self.app, t, lang, now)
            if reply.buttons:  # only when something is stale
                await self.app.notifier.send(address, [Reply(t("coordinator.stale_reminder") + "\n\n" + reply.text,
                                                             buttons=reply.buttons)])

    async def _send_digest(self, now: datetime) -> None:
        end = now.astimezone(STOCKHOLM).date() - timedelta(days=1)
        report = await build_report(self.app.db, end - timedelta(days=6), end)
        async for address, _, t in each_coordinator(self.app):
            await self.app.notifier.send(address, [Reply(t("coordinator.digest_intro") + "\n\n" + report_text(report, t))])

    async def start(self) -> None:
        """Catch up on a Monday message missed while the process was down, then run every Monday at 08:00."""
        try:
            await self.run_due()
        except Exception:
            log.exception("weekly coordinator messages failed")
        self.app.scheduler.add_job(JOB_ID, self.run_due,
                                   CronTrigger(day_of_week="mon", hour=self.HOUR, timezone=STOCKHOLM))

    async def stop(self) -> None:
        """Nothing to do: the scheduler, stopped first, drops the job."""
