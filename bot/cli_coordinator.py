"""`dukat-bord coordinators …`, `dukat-bord report` and `dukat-bord faq reload|copy` (registered in bot/cli.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from datetime import date
from pathlib import Path

import click

from .catalogue import Catalogue
from .config import Settings

PID_FILE = "dukat-bord.pid"


def _t(key: str, **params: object) -> str:
    return Catalogue.load().text(Settings.from_env().default_lang, key, **params)


def _run(work):
    from .cli import open_app

    async def main():
        app = await open_app()
        try:
            return await work(app)
        finally:
            await app.close()

    return asyncio.run(main())


def _address(address: str) -> str:
    from .roles import valid_address

    if not valid_address(address):
        raise click.UsageError(_t("coordinator.cli_bad_address", address=address))
    return address


@click.group()
def coordinators() -> None:
    """Coordinators, who curate the FAQ in chat: add, remove, list, invite."""


@coordinators.command("add")
@click.argument("address")
def coordinators_add(address: str) -> None:
    """Make the chat user ADDRESS (e.g. tg:12345, console:anna) a coordinator."""
    address = _address(address)

    async def work(app):
        return await app.roles.grant(address)

    added = _run(work)
    click.echo(_t("coordinator.cli_added" if added else "coordinator.cli_already", address=address))


@coordinators.command("remove")
@click.argument("address")
def coordinators_remove(address: str) -> None:
    """Take the coordinator role from ADDRESS."""
    address = _address(address)

    async def work(app):
        return await app.roles.revoke(address)

    if not _run(work):
        click.echo(_t("coordinator.cli_not_coordinator", address=address), err=True)
        sys.exit(1)
    click.echo(_t("coordinator.cli_removed", address=address))


@coordinators.command("list")
def coordinators_list() -> None:
    """List coordinators: address and when the role was granted."""

    async def work(app):
        return await app.roles.listing()

    for address, granted in _run(work):
        click.echo(f"{address}\t{granted[:10]}")


@coordinators.command("invite")
def coordinators_invite() -> None:
    """Print a one-time code (valid 7 days) that makes whoever sends `/start co_<code>` a coordinator."""

    async def work(app):
        return await app.roles.create_invite()

    code = _run(work)
    settings = Settings.from_env()
    click.echo(_t("coordinator.cli_invite", code=code))
    if settings.telegram_bot_username:
        click.echo(f"https://t.me/{settings.telegram_bot_username}?start=co_{code}")
