"""Roles: stored and provided roles, the engine's check before dispatch, invites, CLI, personal data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.engine import Feature
from bot.messages import Incoming, Reply
from bot.roles import UnknownRole
from tests.conftest import Chat


async def test_everyone_is_a_founder_and_coordinators_are_stored(app):
    assert await app.roles.roles_of("console:x") == {"founder"}
    assert await app.roles.grant("console:x") is True
    assert await app.roles.grant("console:x") is False
    assert await app.roles.roles_of("console:x") == {"founder", "coordinator"}
    assert await app.roles.holders() == ["console:x"]
    assert await app.roles.revoke("console:x") is True
    assert await app.roles.revoke("console:x") is False
    assert await app.roles.roles_of("console:x") == {"founder"}
    with pytest.raises(UnknownRole):
        await app.roles.grant("console:x", "admin")


async def test_a_provider_declares_officials(app):
    # booking registers "official" for addresses linked to an active official
    snap = await app.booking.snapshot()
    linked = next(o for o in snap.officials if o.address)
    assert "official" in await app.roles.roles_of(linked.address)
    assert "official" not in await app.roles.roles_of("console:nobody")


class _Guarded(Feature):
    name = "guarded"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.calls = 0
        self.commands = {"/hemligt": self.handler}
        self.payloads = {"gx": self.handler}
        self.required_roles = {"/hemligt": "coordinator", "gx": "official"}

    async def handler(self, turn, arg):
        self.calls += 1
        return [Reply("ok")]


async def test_engine_refuses_before_calling_the_handler(app):
    feature = _Guarded(app)
    app.engine.add_feature(feature)
    replies = await app.engine.handle(Incoming("console:f", text="/hemligt"))
    assert feature.calls == 0
    assert app.catalogue.text("sv", "roles.refused_coordinator") in replies[-1].text
    replies = await app.engine.handle(Incoming("console:f", payload="gx:1"))
    assert feature.calls == 0
    assert replies[-1].text == app.catalogue.text("sv", "roles.refused_official")
    await app.roles.grant("console:f")
    replies = await app.engine.handle(Incoming("console:f", text="/hemligt"))
    assert feature.calls == 1 and replies[-1].text == "ok"


async def test_invite_code_is_one_time_and_expires(app, clock):
    code = await app.roles.create_invite()
    chat = Chat(app, "console:new")
    await chat.say(f"/start co_{code}")
    assert "samordnare" in chat.text()
    assert "coordinator" in await app.roles.roles_of("console:new")
    other = Chat(app, "console:other")
    await other.say(f"/start co_{code}")
    assert other.text().endswith(app.catalogue.text("sv", "coordinator.invite_invalid"))
    assert "coordinator" not in await app.roles.roles_of("console:other")
    late = await app.roles.create_invite()
    clock.advance(timedelta(days=8))
    await other.say(f"/start co_{late.lower()}")
    assert other.text().endswith(app.catalogue.text("sv", "coordinator.invite_invalid"))
    assert "coordinator" not in await app.roles.roles_of("console:other")


async def test_roles_are_exported_erased_and_kept_from_expiry(app, clock):
    await app.roles.grant("console:co")
    chat = Chat(app, "console:co")
    await chat.say("hej")
    data = await app.personal_data.export("console:co")
    assert data["roles"]["roles"][0]["role"] == "coordinator"
    expired = await app.personal_data.expire(clock.now() + timedelta(days=400), clock.now())
    assert "console:co" not in expired
    await app.personal_data.erase("console:co", clock.now())
    assert await app.roles.roles_of("console:co") == {"founder"}


def test_cli_add_list_remove_invite(tmp_path, monkeypatch):
    monkeypatch.setenv("DUKAT_DB", str(tmp_path / "c.db"))
    monkeypatch.setenv("DUKAT_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["coordinators", "add", "console:anna"])
    assert result.exit_code == 0, result.output
    assert "console:anna" in runner.invoke(main, ["coordinators", "list"]).output
    bad = runner.invoke(main, ["coordinators", "add", "anna"])
    assert bad.exit_code != 0
    assert "anna" not in runner.invoke(main, ["coordinators", "list"]).output.replace("console:anna", "")
    assert runner.invoke(main, ["coordinators", "remove", "console:anna"]).exit_code == 0
    assert runner.invoke(main, ["coordinators", "remove", "console:anna"]).exit_code == 1
    assert runner.invoke(main, ["coordinators", "list"]).output.strip() == ""
    invite = runner.invoke(main, ["coordinators", "invite"])
    assert invite.exit_code == 0 and "/start co_" in invite.output
