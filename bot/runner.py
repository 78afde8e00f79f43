"""`dukat-bord run`: every configured channel plus the background services, in one process.

Order: the web server's port is taken first (a port in use stops `run` before anything starts), then the
channels start (each registers its route in the notifier), then the background services and the app's one
scheduler, so reminders due at start-up go out through channels that are there, and last the web server
serves (bot/web.py). At the end the web server stops taking requests first, then the scheduler and services
stop, then the channels, then the database closes.

A channel is listed in `CHANNELS` with a test on the settings (is it configured?) and where its class
lives (imported only when configured, so an unused chat library is never loaded). A channel class takes
the app and has `async start()` / `async stop()`; a channel whose work ends unexpectedly may expose
`failed`, an awaitable that completes with the exception.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import signal
import sys
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Callable, Protocol, TextIO

from .config import Settings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_CONFIGURED = 2
STOP_TIMEOUT = 8.0  # seconds for all channels and services to stop; the process must end within 10


def settle_heap() -> None:
    """Take what is alive now (knowledge, matcher index, libraries) out of the garbage collector's view.

    Those objects live as long as the process (or until the next reload, when reference counting frees
    them), yet every full collection walked them all and stalled the event loop: about 90 ms with the
    bundled FAQ, measured in bench/telegram_e2e.py, against 7 ms after this.
    """
    gc.collect()
    gc.freeze()


class StartFailed(Exception):
    """A channel could not start; `key` and `params` name the catalogue text that says why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    configured: Callable[[Settings], bool]
    factory: str  # "module:Class", imported when the channel is configured

    def create(self, app: Any) -> Channel:
        module, _, attr = self.factory.partition(":")
        return getattr(importlib.import_module(module), attr)(app)


CHANNELS: list[ChannelSpec] = [
    ChannelSpec("telegram", lambda s: s.telegram_enabled, "bot.channels.telegram:TelegramChannel"),
    ChannelSpec("matrix", lambda s: s.matrix_enabled, "bot.channels.matrix:MatrixChannel"),
    ChannelSpec("email", lambda s: s.mail_enabled, "bot.channels.email:MailChannel"),  # officials by SMTP
]


def configured_channels(settings: Settings) -> list[ChannelSpec]:
    return [spec for spec in CHANNELS if spec.configured(settings)]


MIN_SECRET = 6  # shorter values would redact ordinary words
_learnt_secrets: set[str] = set()


def redact_in_logs(secret: str | None) -> None:
    """A secret learnt while running (an access token from a login or from the saved credentials):
    every SecretFilter replaces it from now on, like the secrets in the settings."""
    if secret and len(secret) >= MIN_SECRET:
        _learnt_secrets.add(secret)


class SecretFilter(logging.Filter):
    """Replaces secrets (bot tokens, passwords, tokens learnt at login) in every log line, whatever
    library wrote it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= MIN_SECRET]

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [*self.secrets, *_learnt_secrets]
        if not secrets:
            return True
        message = record.getMessage()
        exc_text = logging.Formatter().formatException(record.exc_info) if record.exc_info else record.exc_text
        if any(s in message or (exc_text and s in exc_text) for s in secrets):
            for s in secrets:
                message = message.replace(s, "[redacted]")
                exc_text = exc_text.replace(s, "[redacted]") if exc_text else exc_text
            record.msg, record.args = message, None
            record.exc_info, record.exc_text = None, exc_text
        return True


def settings_secrets(settings: Settings) -> list[str]:
    return [s for s in (settings.telegram_token, settings.telegram_webhook_secret, settings.matrix_password,
                        settings.matrix_access_token, settings.smtp_password) if s]


def setup_logging(level: str, settings: Settings, stream: TextIO = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(settings_secrets(settings)))
    from .web import SecretPathFilter  # bot.web imports this module

    handler.addFilter(SecretPathFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


async def run(settings: Settings, stop: asyncio.Event | None = None, clock: Any = None) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set); returns the process exit code. `clock`: the app's clock
    (default the system clock)."""
    from .app import build_app
    from .knowledge_watch import install_reload_signal
    from .web import WebServer

    specs = configured_channels(settings)
    if not specs:
        return EXIT_NOT_CONFIGURED
    web_server = WebServer(settings)
    web_server.bind()  # a taken port stops `run` here (StartFailed), before the database or any channel
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        app = await build_app(settings, clock=clock)
    except BaseException:
        web_server.close()
        raise
    undo_reload_signal = install_reload_signal(app, loop)  # SIGHUP reloads the knowledge files
    started: list[Any] = []
    code = EXIT_OK
    try:
        for spec in specs:
            channel = spec.create(app)
            try:
                await _until_stopped(channel.start(), stop)
            except (StartFailed, _Stopped):
                raise
            except Exception as exc:
                log.exception("channel %s failed to start", spec.name)
                raise StartFailed("run.start_failed", channel=spec.name, error=type(exc).__name__) from None
            started.append(channel)
            if stop.is_set():
                raise _Stopped
        started.append(_Background(app))
        await _until_stopped(app.start_background(), stop)  # sends what came due while the bot was down
        await web_server.start(app)
        started.append(web_server)  # stopped first: no request meets a half-stopped app
        settle_heap()
        app.knowledge.after_reload.append(settle_heap)
        failures = [asyncio.ensure_future(c.failed) for c in started if getattr(c, "failed", None) is not None]
        waiter = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([waiter, *failures], return_when=asyncio.FIRST_COMPLETED)
        for task in [waiter, *failures]:
            task.cancel()
        if waiter not in done:
            log.error("a channel stopped working; shutting down")
            code = EXIT_FAILED
    except _Stopped:
        pass
    finally:
        await _stop_all(started)
        web_server.close()  # the port, when it was taken but never served
        undo_reload_signal()
        await app.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return code


class _Stopped(Exception):
    pass


class _Background:
    """The app's background services and scheduler as one thing to stop, after them the channels."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def stop(self) -> None:
        await self.app.stop_background()


async def _until_stopped(work: Any, stop: asyncio.Event) -> None:
    """Await `work` unless a stop signal comes first (a start-up can hang on an unreachable server)."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not task.done():
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
        raise _Stopped
    task.result()


async def _stop_all(started: list[Any]) -> None:
    async def stop_all() -> None:
        for thing in reversed(started):
            try:
                await thing.stop()
            except Exception:
                log.exception("stopping %s failed", type(thing).__name__)

    try:
        await asyncio.wait_for(stop_all(), STOP_TIMEOUT)
    except asyncio.TimeoutError:
        log.warning("shutdown took longer than %.0f s; exiting anyway", STOP_TIMEOUT)
