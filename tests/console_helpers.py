"""The web console through aiohttp's test client: the bot's real web application on a real database file,
a signed-in browser (cookie jar) per role, and the CSRF token of a page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.admin import sign_in_link
from bot.roles import COORDINATOR
from bot.web import build_web_app

COORDINATOR_ADDRESS = "console:coordinator"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def login_path(link: str) -> str:
    return urlsplit(link).path


async def signed_in(client: TestClient, app, address: str) -> None:
    """Sign `client` in as `address` the way a person does: open the link, press the button."""
    path = login_path(await sign_in_link(app, address))
    response = await client.get(path)
    assert response.status == 200, await response.text()
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303, await response.text()


async def csrf_of(client: TestClient, path: str = "/admin/") -> str:
    response = await client.get(path)
    found = _CSRF.search(await response.text())
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
async def web_client(app):
    """A client of the bot's whole web application, not signed in."""
    client = TestClient(TestServer(build_web_app(app)))
    await client.start_server()
    yield client
    await client.close()


async def new_client(app) -> TestClient:
    client = TestClient(TestServer(build_web_app(app)))
    await client.start_server()
    return client


@pytest.fixture
async def coordinator_client(app):
    """A client signed in as a coordinator."""
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    client = await new_client(app)
    await signed_in(client, app, COORDINATOR_ADDRESS)
    yield client
    await client.close()
