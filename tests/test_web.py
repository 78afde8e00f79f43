"""The bot's web server as `dukat-bord run` serves it: security headers on every response, a clear 404 page,
logs without the secret part of an address, a taken port stopping `run` at once (exit 1 with a clear message),
and a clean stop on SIGTERM. Through the real runner and the real aiohttp server, fetched with aiohttp's client."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot import runner
from bot.catalogue import Catalogue
from bot.config import Settings
from tests.conftest import free_port
from bot.web import SECURITY_HEADERS, redact_paths

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = Catalogue.load()
SECRET = "s3cretTokenThatMustNeverBeLogged_0123456789"


def occupy() -> socket.socket:
    """A listening socket on a free port, as another program would hold it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


class QuietChannel:
    """A channel that is up at once, so `run` has something configured; notes its start and stop."""

    name = "quiet"
    events: list[str] = []

    def __init__(self, app) -> None:
        self.app = app

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")


def add_failing_routes(web_app: web.Application, app) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a bug in a page")

    web_app.router.add_get("/answer/{token}/boom", boom)


@pytest.fixture
def quiet_run(monkeypatch):
    monkeypatch.setattr(runner, "CHANNELS", [runner.ChannelSpec("quiet", lambda s: True, "tests.test_web:QuietChannel")])
    QuietChannel.events = []


async def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, dict, str]:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, headers=headers) as response:
            return response.status, dict(response.headers), await response.text()


async def wait_until_served(url: str, running: asyncio.Task) -> None:
    for _ in range(300):
        if running.done():
            running.result()
            raise AssertionError("run() ended before serving")
        try:
            await fetch(url)
            return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing served at {url}")


def assert_secure(headers: dict) -> None:
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "aiohttp" not in headers.get("Server", "")


async def test_run_serves_pages_with_security_headers_and_a_clear_404_then_stops(settings, clock, quiet_run,
                                                                                  monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    from bot import web as web_module

    monkeypatch.setattr(web_module, "WEB_FEATURES", [*web_module.WEB_FEATURES, "tests.test_web:add_failing_routes"])
    base = settings.web_base_url()  # a free port of its own (tests/conftest.py)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(settings, stop, clock=clock))
    try:
        await wait_until_served(base + "/style.css", running)
        status, headers, body = await fetch(base + "/no/such/page", **{"Accept-Language": "en-GB,en;q=0.8"})
        assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert CATALOGUE.text("en", "web.not_found_title") in body
        assert CATALOGUE.text("en", "web.not_found_text").split("\n")[0] in body
        assert "<script" not in body and "style=" not in body  # nothing the policy would block
        assert_secure(headers)
        status, headers, body = await fetch(base + "/no/such/page")  # no language asked for: Swedish
        assert CATALOGUE.text("sv", "web.not_found_title") in body
        for path, method, expected in (("/style.css", "GET", 200), (f"/cal/{SECRET}.ics", "POST", 405),
                                       (f"/answer/{SECRET}/boom", "GET", 500), (f"/CAL/{SECRET}.ics", "GET", 404),
                                       (f"/answer/{SECRET}", "GET", 400),  # the answer pages are served: bad link
                                       (f"/admin/login/{SECRET}", "POST", 400), ("/admin/", "GET", 401)):
            status, headers, body = await fetch(base + path, method)
            assert status == expected, path
            assert_secure(headers)
            if status == 500:
                assert CATALOGUE.text("sv", "web.error_title") in body and "a bug in a page" not in body
            if status == 400 and path.startswith("/answer/"):
                assert CATALOGUE.text("sv", "mail.page_tampered").split(".")[0] in body
            if path.startswith("/admin/"):  # the web console is served too, its sign-in token never logged
                assert CATALOGUE.text("sv", "admin.link_bad_title" if status == 400 else "admin.signin_title") in body
        assert QuietChannel.events == ["start"]
    finally:
        stop.set()
        code = await asyncio.wait_for(running, 30)
        gc.unfreeze()  # run() freezes the heap it settled; the test process goes on
    assert code == runner.EXIT_OK
    assert QuietChannel.events == ["start", "stop"]
    with socket.socket() as again:  # the port is free again
        again.bind((settings.web_listen, settings.web_port))
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert SECRET not in logged
    (failure,) = [r for r in caplog.records if "failed" in r.getMessage() and "/answer/" in r.getMessage()]
    assert "/answer/[secret]" in failure.getMessage() and failure.exc_info[0] is RuntimeError
    assert "GET /no/such/page 404" in logged  # the access log, without the visitor's address
    assert "127.0.0.1" not in [line for line in logged.splitlines() if "/no/such/page" in line][0]


async def test_a_port_in_use_stops_run_before_any_channel_starts(settings, clock, quiet_run):
    with occupy() as taken:
        settings = replace(settings, web_port=taken.getsockname()[1])
        with pytest.raises(runner.StartFailed) as failed:
            await runner.run(settings, asyncio.Event(), clock=clock)
    assert failed.value.key == "web.port_in_use"
    assert failed.value.params["address"] == f"127.0.0.1:{settings.web_port}"
    assert QuietChannel.events == [] and not Path(settings.db_path).exists()  # nothing was started or opened


def run_process(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DUKAT_"))}
    env.update(DUKAT_DB=str(tmp_path / "run.db"), DUKAT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO),
               **extra)
    return env


def test_dukat_bord_run_with_the_port_in_use_says_so_and_exits_1(tmp_path):
    with occupy() as taken:
        port = str(taken.getsockname()[1])
        # Telegram is unreachable: had it been tried first, that would be the message.
        env = run_process(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",
                          DUKAT_WEB_PORT=port, DUKAT_LANG="en")
        result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1
    assert CATALOGUE.text("en", "web.port_in_use", address=f"127.0.0.1:{port}") in result.stderr
    assert "Traceback" not in result.stderr and "Telegram" not in result.stderr


async def test_dukat_bord_run_serves_and_stops_cleanly_on_sigterm(tmp_path):
    from tests.telegram.fake_botapi import TOKEN, FakeBotApi

    port = free_port()
    async with FakeBotApi() as fake:
        env = run_process(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake.base_url,
                          DUKAT_WEB_PORT=str(port))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    status, headers, _ = await fetch(f"{url}/cal/{SECRET}.ics")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert status == 404
            assert_secure(headers)
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert f"web: serving on 127.0.0.1:{port}" in log
    assert SECRET not in log and "/cal/[secret]" in log
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_run_starts_for_email_alone_and_the_help_names_it(tmp_path):
    names = [spec.name for spec in runner.configured_channels(Settings(db_path="x", smtp_host="smtp.example.org"))]
    assert names == ["email"]
    assert runner.configured_channels(Settings(db_path="x")) == []
    for lang in ("sv", "en"):
        assert "DUKAT_SMTP_HOST" in CATALOGUE.text(lang, "run.not_configured")
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--help"], cwd=REPO, env=run_process(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert "DUKAT_SMTP_HOST" in result.stdout and "DUKAT_WEB_PORT" in result.stdout


def test_secret_parts_of_addresses_are_taken_out_of_any_text():
    assert redact_paths(f'"GET /cal/{SECRET}.ics HTTP/1.1"') == '"GET /cal/[secret] HTTP/1.1"'
    assert redact_paths(f"//Answer/{SECRET}/yes?x=1 and /cal/{SECRET}") == "//Answer/[secret] and /cal/[secret]"
    assert redact_paths("/style.css /calendar/x") == "/style.css /calendar/x"
    assert set(SECURITY_HEADERS) >= {"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options"}


def test_the_log_of_run_takes_secret_addresses_out_of_any_library_line(settings):
    import io

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    try:
        runner.setup_logging("INFO", settings, stream=out)
        logging.getLogger("aiohttp.server").warning("Bad request line 'GET /cal/%s.ics HTTP/1.1'", SECRET)
        try:
            raise ValueError(f"GET /answer/{SECRET}/ja")
        except ValueError:
            logging.getLogger("aiohttp.server").exception("Error handling request")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    text = out.getvalue()
    assert SECRET not in text
    assert "/cal/[secret]" in text and "/answer/[secret]" in text and "ValueError" in text
