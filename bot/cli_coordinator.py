"""`dukat-bord coordinators …`, `dukat-bord report` and `dukat-bord faq reload|copy` (registered in bot/cli.py)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from datetime import date
from pathlib import Path

import click

from .cli_common import fail, format_problems, settings, with_app
from .cli_common import text as _t


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

    added = with_app(work)
    click.echo(_t("coordinator.cli_added" if added else "coordinator.cli_already", address=address))


@coordinators.command("remove")
@click.argument("address")
def coordinators_remove(address: str) -> None:
    """Take the coordinator role from ADDRESS."""
    address = _address(address)

    async def work(app):
        return await app.roles.revoke(address)

    if not with_app(work):
        fail("coordinator.cli_not_coordinator", address=address)
    click.echo(_t("coordinator.cli_removed", address=address))


@coordinators.command("list")
def coordinators_list() -> None:
    """List coordinators: address and when the role was granted."""

    async def work(app):
        return await app.roles.listing()

    for address, granted in with_app(work):
        click.echo(f"{address}\t{granted[:10]}")


@coordinators.command("invite")
def coordinators_invite() -> None:
    """Print a one-time code (valid 7 days) that makes whoever sends `/start co_<code>` a coordinator."""

    async def work(app):
        return await app.roles.create_invite()

    code = with_app(work)
    click.echo(_t("coordinator.cli_invite", code=code))
    username = settings().telegram_bot_username
    if username:
        click.echo(f"https://t.me/{username}?start=co_{code}")


@coordinators.command("web-login")
@click.argument("address")
def coordinators_web_login(address: str) -> None:
    """Print a one-time link (valid 15 minutes) that signs ADDRESS, a coordinator or official, in to the web console."""
    address = _address(address)

    async def work(app):
        from .admin import sign_in_link
        from .roles import COORDINATOR, OFFICIAL

        if not (await app.roles.roles_of(address)) & {COORDINATOR, OFFICIAL}:
            return None
        return await sign_in_link(app, address)

    link = with_app(work)
    if link is None:
        fail("admin.cli_not_staff", address=address)
    click.echo(_t("admin.cli_link", address=address, link=link))


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_t("coordinator.cli_bad_date", value=value)) from None


@click.command("report")
@click.option("--from", "start", required=True, callback=_date, help="First day, YYYY-MM-DD (Stockholm date).")
@click.option("--to", "end", required=True, callback=_date, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as CSV.")
@click.option("--png", "png_file", type=click.Path(dir_okay=False, path_type=Path), help="Also draw a chart (PNG).")
def report_command(start: date, end: date, csv_file: Path | None, png_file: Path | None) -> None:
    """Questions per day, shares answered / "menade du" / fallback, top entries, top unanswered
    clusters, meetings by organisation and officials' load, for the days FROM..TO."""
    from .reports import PeriodProblem, build_report, check_period, report_csv, report_png, report_text

    try:
        check_period(start, end)
    except PeriodProblem as problem:
        raise click.UsageError(_t(problem.key, **problem.params)) from None
    for path in (csv_file, png_file):
        if path is not None and not path.parent.is_dir():
            fail("cli_problems.no_folder", path=path)

    async def work(app):
        return await build_report(app.db, start, end)

    report = with_app(work)
    click.echo(report_text(report, _t))
    if csv_file is not None:
        csv_file.write_text(report_csv(report, _t), encoding="utf-8")
        click.echo(_t("coordinator.cli_wrote", path=csv_file))
    if png_file is not None:
        png_file.write_bytes(report_png(report, _t))
        click.echo(_t("coordinator.cli_wrote", path=png_file))


@click.command("reload")
def faq_reload() -> None:
    """Make a running `dukat-bord run` read the knowledge files again (SIGHUP via its pid file).

    The files are checked first; with problems nothing is signalled and every problem is listed.
    """
    from knowledge.loader import check_knowledge

    from .knowledge_watch import pid_file

    config = settings()
    _, problems = check_knowledge(config.knowledge_dir)
    if problems:
        click.echo(format_problems(problems), err=True)
        sys.exit(1)
    path = pid_file(config)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        fail("coordinator.cli_not_running", path=path)
    click.echo(_t("coordinator.cli_reload_sent", pid=pid))


@click.command("copy")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def faq_copy(target: Path) -> None:
    """Copy the bundled knowledge files to TARGET, so coordinators can edit them (set DUKAT_KNOWLEDGE_DIR=TARGET)."""
    from knowledge.loader import bundled_dir

    if target.exists() and any(target.iterdir()):
        raise click.UsageError(_t("coordinator.cli_copy_exists", path=target))
    shutil.copytree(bundled_dir(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    click.echo(_t("coordinator.cli_copied", path=target.resolve()))
