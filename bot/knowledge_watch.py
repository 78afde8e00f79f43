"""Keeping the knowledge in service current while the bot runs.

Knowledge files changed on disk are reloaded (their modification times are polled by a job on the app's
scheduler); in `dukat-bord run`, SIGHUP reloads them too, and the pid file in DUKAT_DATA_DIR is how
`dukat-bord faq reload` finds the running process to signal. A reload reads and indexes the files in a
worker thread (`KnowledgeStore.refresh`), so the event loop keeps serving. A broken change keeps the
previous knowledge and the coordinators are told what is wrong, once per set of problems.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any, Callable

from apscheduler.triggers.interval import IntervalTrigger

from .features.coordinator import each_coordinator, problems_text
from .messages import Reply

log = logging.getLogger(__name__)

JOB_ID = "knowledge-watch"
WATCH_SECONDS = 5
PID_FILE_NAME = "dukat-bord.pid"


def pid_file(settings: Any) -> Path:
    """Where `dukat-bord run` writes its process id (read by `dukat-bord faq reload`)."""
    return Path(settings.data_dir) / PID_FILE_NAME


class KnowledgeWatch:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._mtimes = self._snapshot()
        self._reported: tuple | None = None

    def _snapshot(self) -> dict[str, int]:
        directory = self.app.knowledge.directory
        if directory is None:
            return {}
        result = {}
        for path in Path(directory).rglob("*.yaml"):
            try:
                result[str(path)] = path.stat().st_mtime_ns
            except OSError:
                continue
        return result

    async def reload(self, reason: str = "signal") -> list:
        """Reload the knowledge; on problems keep the old one and tell the coordinators (once per problem set)."""
        problems = await self.app.knowledge.refresh()
        self._mtimes = await asyncio.to_thread(self._snapshot)
        if not problems:
            self._reported = None
            log.info("knowledge reloaded (%s)", reason)
            return []
        log.warning("knowledge reload (%s) found %d problem(s); previous knowledge kept", reason, len(problems))
        fingerprint = tuple(sorted((p.file, p.entry or "", p.field or "", p.code) for p in problems))
        if fingerprint != self._reported:
            self._reported = fingerprint
            async for address, _, t in each_coordinator(self.app):
                await self.app.notifier.send(address, [Reply(problems_text(t, problems))])
        return problems

    def mark_seen(self) -> None:
        """The files as they are now are in service (after an edit in chat): no reload for them."""
        self._mtimes = self._snapshot()

    async def check_files(self) -> list | None:
        """Reload when a knowledge file changed since the last look; None when nothing changed."""
        if await asyncio.to_thread(self._snapshot) == self._mtimes:
            return None
        return await self.reload("files changed")

    async def start(self) -> None:
        if self.app.knowledge.directory is not None:  # the bundled files do not change while running
            self.app.scheduler.add_job(JOB_ID, self.check_files, IntervalTrigger(seconds=WATCH_SECONDS))

    async def stop(self) -> None:
        """Nothing to do: the scheduler, stopped first, drops the job."""


def install_reload_signal(app: Any, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """In `dukat-bord run`: SIGHUP reloads the knowledge, and the pid file lets `dukat-bord faq reload` find this
    process. Returns a function that undoes both."""
    path = pid_file(app.settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(os.getpid()))
    except OSError:
        log.warning("could not write the pid file")
    if hasattr(signal, "SIGHUP"):
        loop.add_signal_handler(signal.SIGHUP,
                                lambda: app.scheduler.spawn(app.knowledge_watch.reload("SIGHUP"), "reloading the knowledge"))

    def undo() -> None:
        if hasattr(signal, "SIGHUP"):
            loop.remove_signal_handler(signal.SIGHUP)
        try:
            if path.read_text().strip() == str(os.getpid()):
                path.unlink()
        except OSError:
            pass

    return undo
