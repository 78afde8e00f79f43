"""`dukat-bord web`: just the web console, on whatever DUKAT_* configures (by default the embedded one)."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from .cli_common import open_app, text
from .runner import StartFailed


@click.command("web")
@click.option("--as", "address", default="console:local", show_default=True,
              help="Print a sign-in link for this chat address. With no coordinator at all yet, it is made one.")
def web_command(address: str) -> None:
    """Serve the web console (and the bot's other pages) and print a one-time sign-in link.

    Listens on DUKAT_WEB_LISTEN and DUKAT_WEB_PORT (default 127.0.0.1:8080), links from DUKAT_PUBLIC_URL.
    On a new database with no coordinator, ADDRESS becomes the first one, so the console opens with no
    accounts at all. Ctrl-C stops it. No chat channel runs; officials and founders in the console chat
    (`dukat-bord chat`) get what the console sends them there.
    """
    from .roles import COORDINATOR, OFFICIAL, valid_address
    from .web import WebServer

    if ":" not in address:
        address = f"console:{address}"
    if not valid_address(address):
        raise click.UsageError(text("coordinator.cli_bad_address", address=address))

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        app = await open_app()
        server = WebServer(app.settings)
        try:
            roles = await app.roles.roles_of(address)
            if not roles & {COORDINATOR, OFFICIAL}:
                if await app.roles.holders(COORDINATOR):
                    click.echo(text("admin.cli_not_staff", address=address), err=True)
                    sys.exit(1)
                await app.roles.grant(address, COORDINATOR)
            server.bind()
            # Messages go to console users (the console chat shows them) and officials' mails into .eml files.
            eml = not app.settings.mail_enabled
            app.reminders.reaches = lambda to: to.startswith("console:") or (eml and to.startswith("mail:"))
            await app.start_background()
            await server.start(app)
            from .admin import sign_in_link

            click.echo(text("admin.web_started", url=app.settings.web_base_url()))
            click.echo(text("admin.web_signin", address=address, link=await sign_in_link(app, address)))
            await stop.wait()
        finally:
            await server.stop()
            await app.stop_background()
            await app.close()

    try:
        asyncio.run(serve())
    except StartFailed as exc:
        click.echo(text(exc.key, **exc.params), err=True)
        sys.exit(1)
