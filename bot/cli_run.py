"""The `dukat-bord run` command (registered on the CLI group in bot/cli.py)."""

from __future__ import annotations

import asyncio
import sys

import click

from .cli_common import settings, text
from .runner import EXIT_FAILED, EXIT_NOT_CONFIGURED, StartFailed, configured_channels, run, setup_logging

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


@click.command("run")
@click.option("--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False), default="INFO", show_default=True,
              help="How much to log on standard error (never message texts, names or tokens).")
def run_command(log_level: str) -> None:
    """Run the bot on every configured channel, with reminders and its web server, until SIGTERM or Ctrl-C.

    Telegram is configured by TELEGRAM_BOT_TOKEN (and optionally TELEGRAM_BASE_URL, TELEGRAM_WEBHOOK_URL,
    TELEGRAM_WEBHOOK_LISTEN, TELEGRAM_WEBHOOK_PORT, TELEGRAM_WEBHOOK_SECRET). Matrix is configured by
    MATRIX_HOMESERVER and MATRIX_USER_ID with MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN (and optionally
    MATRIX_DEVICE_NAME, MATRIX_STORE_DIR). E-mail to officials is configured by DUKAT_SMTP_HOST (and
    DUKAT_SMTP_PORT, DUKAT_SMTP_USERNAME, DUKAT_SMTP_PASSWORD, DUKAT_SMTP_TLS, DUKAT_MAIL_FROM). Any of
    them may run at once. The web server (answer links, calendar feeds) listens on DUKAT_WEB_LISTEN and
    DUKAT_WEB_PORT (default 127.0.0.1:8080); links are built from DUKAT_PUBLIC_URL. README.md explains each step.

    Exit status: 0 after SIGTERM/SIGINT; 1 when a channel or the web server cannot start or a channel stops
    working; 2 when nothing is configured (use `dukat-bord chat` to talk to the bot without an account).
    """
    config = settings()
    if not configured_channels(config):
        click.echo(text("run.not_configured"), err=True)
        sys.exit(EXIT_NOT_CONFIGURED)
    setup_logging(log_level, config)
    try:
        code = asyncio.run(run(config))
    except StartFailed as exc:
        click.echo(text(exc.key, **exc.params), err=True)
        sys.exit(EXIT_FAILED)
    # A broken database, knowledge or rules file ends here too: bot/cli_common.py's ProblemsGroup lists it, exit 1.
    sys.exit(code)
