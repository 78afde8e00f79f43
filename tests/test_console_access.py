"""Who gets into the web console, and how: one-time sign-in links (15 minutes, single use, opening alone uses
nothing), a session cookie (HttpOnly, SameSite=Strict, ended by sign-out or a day idle), roles checked on every
request, a CSRF token on every form, the sign-in endpoint rate-limited, no token in the logs. Every route the
console has is tried without a session."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner

from bot.admin import CONSOLE_KEY, PREFIX, RateLimit, sign_in_link
from bot.catalogue import Catalogue
from bot.cli import main
from bot.roles import COORDINATOR
from tests.conftest import Chat
from tests.console_helpers import (COORDINATOR_ADDRESS, coordinator_client, csrf_of, login_path, new_client,  # noqa: F401
                                   signed_in, web_client)

CATALOGUE = Catalogue.load()
SV = lambda key: CATALOGUE.text("sv", key).split("\n")[0][:40]  # noqa: E731


def console_routes(client) -> list[tuple[str, str, bool]]:
    """(method, path with sample values, public?) for every route of the console sub-application."""
    admin = client.server.app[CONSOLE_KEY]
    routes = []
    for route in admin.router.routes():
        if route.method == "HEAD":
            continue
        path = re.sub(r"\{[^}]+\}", "x1", route.resource.canonical)
        routes.append((route.method, path, getattr(route.handler, "console_public", False)))
    return routes


async def test_every_page_without_a_session_gives_the_sign_in_page(web_client):
    routes = console_routes(web_client)
    assert len(routes) >= 4
    for method, path, public in routes:
        if public:
            continue
        response = await web_client.request(method, path, allow_redirects=False)
        body = await response.text()
        assert response.status == 401, (method, path, response.status)
        assert SV("admin.signin_title") in body, (method, path)
        assert "Content-Security-Policy" in response.headers


async def test_a_link_signs_in_once_and_only_by_pressing(app, web_client):
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    link = await sign_in_link(app, COORDINATOR_ADDRESS)
    path = login_path(link)
    # Opening (a chat app's preview too) shows a button and uses nothing.
    for _ in range(2):
        response = await web_client.get(path)
        assert response.status == 200 and SV("admin.login_button") in await response.text()
    assert (await web_client.get(f"{PREFIX}/")).status == 401
    response = await web_client.post(path, allow_redirects=False)
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain http in tests
    home = await web_client.get(f"{PREFIX}/")
    assert home.status == 200 and SV("admin.home_title") in await home.text()
    # Used: refused, whoever presses.
    other = await new_client(app)
    try:
        again = await other.post(path, allow_redirects=False)
        assert again.status == 400 and SV("admin.link_bad_title") in await again.text()
        assert (await other.get(f"{PREFIX}/")).status == 401
    finally:
        await other.close()


async def test_an_expired_or_made_up_link_is_refused(app, web_client, clock):
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    path = login_path(await sign_in_link(app, COORDINATOR_ADDRESS))
    clock.advance(timedelta(minutes=15, seconds=1))
    for response in (await web_client.get(path), await web_client.post(path, allow_redirects=False),
                     await web_client.post(f"{PREFIX}/login/made-up", allow_redirects=False)):
        assert response.status == 400, response.status
    assert (await web_client.get(f"{PREFIX}/")).status == 401


async def test_secure_cookie_behind_https(app, web_client):
    app.settings = replace(app.settings, public_url="https://bord.example.se")
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    path = login_path(await sign_in_link(app, COORDINATOR_ADDRESS))
    response = await web_client.post(path, allow_redirects=False)
    assert "Secure" in response.headers["Set-Cookie"]


async def test_an_official_sees_only_their_own_pages(app, web_client):
    official_id = (await app.db.fetchone("SELECT id FROM officials ORDER BY id LIMIT 1"))["id"]
    address = "console:official-one"
    code = await app.roles.create_invite("official", subject=official_id)
    await app.roles.redeem_invite(code, address, "official")
    await signed_in(web_client, app, address)
    home = await web_client.get(f"{PREFIX}/", allow_redirects=False)
    assert home.status == 303 and home.headers["Location"].endswith("/admin/me")
    for method, path, public in console_routes(web_client):
        if public or path.startswith(f"{PREFIX}/me") or path in (f"{PREFIX}/", f"{PREFIX}/logout"):
            continue
        csrf = {}
        response = await web_client.request(method, path, data=csrf, allow_redirects=False)
        assert response.status in (403,), (method, path, response.status)


async def test_a_founder_cannot_get_in(app, web_client):
    await signed_in(web_client, app, "console:founder")  # a link made for a founder by mistake
    response = await web_client.get(f"{PREFIX}/")
    assert response.status == 403 and SV("admin.forbidden_title") in await response.text()


async def test_forms_need_the_sessions_csrf_token(app, coordinator_client):
    token = await csrf_of(coordinator_client)
    for data in ({}, {"csrf": "wrong"}, {"csrf": token[:-1]}):
        response = await coordinator_client.post(f"{PREFIX}/logout", data=data)
        assert response.status == 403, data
        assert SV("admin.csrf_text") in await response.text()
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 200  # still signed in
    response = await coordinator_client.post(f"{PREFIX}/logout", data={"csrf": token})
    assert response.status == 200 and SV("admin.signed_out_title") in await response.text()
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 401


async def test_a_day_idle_ends_the_session_and_roles_are_checked_on_every_request(app, coordinator_client, clock):
    clock.advance(timedelta(hours=23))
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 200  # in use: kept
    clock.advance(timedelta(hours=23))
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 200
    await app.roles.revoke(COORDINATOR_ADDRESS, COORDINATOR)
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 403  # role gone: at once
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    clock.advance(timedelta(days=1))
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 401


async def test_forget_me_ends_console_sessions(app, coordinator_client, clock):
    await app.personal_data.erase(COORDINATOR_ADDRESS, clock.now())
    assert (await coordinator_client.get(f"{PREFIX}/")).status == 401


async def test_sign_in_is_rate_limited(app, web_client):
    statuses = [(await web_client.post(f"{PREFIX}/login/guess{i}", allow_redirects=False)).status for i in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]


def test_rate_limit_window():
    now = [0.0]
    limit = RateLimit(2, 3, 60, clock=lambda: now[0])
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    assert limit.allow("b") and not limit.allow("c")  # everyone together: 3
    now[0] = 61
    assert limit.allow("a") and limit.allow("c")


async def test_webb_in_the_chat_gives_staff_a_link_and_founders_none(app):
    await app.roles.grant("console:coord", COORDINATOR)
    coordinator = Chat(app, "console:coord")
    replies = await coordinator.say("/webb")
    assert "/admin/login/" in replies[0].text
    founder = Chat(app, "console:founder")
    replies = await founder.say("/webb")
    said = "\n".join(reply.text for reply in replies)
    assert "/admin/login/" not in said and CATALOGUE.text("sv", "admin.web_only_staff") in said


def test_cli_web_login_prints_a_link_for_staff_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DUKAT_DB", str(tmp_path / "d.db"))
    monkeypatch.setenv("DUKAT_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    refused = runner.invoke(main, ["coordinators", "web-login", "console:nobody"])
    assert refused.exit_code == 1
    assert runner.invoke(main, ["coordinators", "add", "console:anna"]).exit_code == 0
    result = runner.invoke(main, ["coordinators", "web-login", "console:anna"])
    assert result.exit_code == 0 and "/admin/login/" in result.output


async def test_dukat_bord_web_on_the_embedded_default_prints_a_link_that_signs_in(tmp_path):
    """`dukat-bord web` as a newcomer runs it: no accounts, a fresh database; the printed link works in a
    client with cookies, and SIGINT (Ctrl-C) stops it with exit 0."""
    import asyncio
    import os
    import signal
    import sys

    import aiohttp

    from tests.conftest import free_port
    from tests.test_web import REPO

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DUKAT_"))}
    env.update(DUKAT_DB=str(tmp_path / "web.db"), DUKAT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO),
               DUKAT_WEB_PORT=str(port))
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "web", cwd=REPO, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        lines = []
        while not any("/admin/login/" in line for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert line, (lines, await process.stderr.read())
            lines.append(line.decode())
        link = next(word for line in lines for word in line.split() if "/admin/login/" in word)
        assert link.startswith(f"http://127.0.0.1:{port}/admin/login/")
        assert CATALOGUE.text("sv", "admin.web_started", url=f"http://127.0.0.1:{port}") in "".join(lines)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # cookies for an IP
            async with browser.get(link) as response:
                assert response.status == 200
            async with browser.post(link) as response:  # follows the redirect to the overview
                assert response.status == 200 and CATALOGUE.text("sv", "admin.home_title") in await response.text()
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 20)
        assert process.returncode == 0, await process.stderr.read()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
