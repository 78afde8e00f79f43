"""The aiohttp networking under python-telegram-bot: errors become PTB's own exceptions."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut

from bot.channels import telegram_http
from bot.channels.telegram_http import AiohttpRequest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_refused_connection_is_tried_again_then_a_network_error(monkeypatch):
    naps: list[float] = []

    async def no_wait(seconds: float) -> None:
        naps.append(seconds)

    monkeypatch.setattr(telegram_http.asyncio, "sleep", no_wait)
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{free_port()}/bot123/getMe", "POST")
    finally:
        await request.shutdown()
    assert naps == [0.5, 1.0, 2.0]  # three more tries, backing off


async def test_a_slow_answer_is_a_timeout_and_a_normal_one_comes_back_whole():
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True})

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    server = web.Application()
    server.router.add_post("/slow", slow)
    server.router.add_post("/echo", echo)
    runner = web.AppRunner(server)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"http://127.0.0.1:{port}/slow", "POST")
        status, body = await request.do_request(f"http://127.0.0.1:{port}/echo", "POST")
        assert status == 200 and body == b'{"ok": true}'  # uploads are covered by the .ics sendDocument tests
    finally:
        await request.shutdown()
        await runner.cleanup()
