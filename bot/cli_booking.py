"""`dukat-bord officials …` and `dukat-bord meetings …`: the booking data on the command line."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from .cli_common import fail, with_app
from .cli_common import text as _t


@click.group()
def officials() -> None:
    """Officials who meet founders: list, import, export, invite."""


@officials.command("list")
def officials_list() -> None:
    """List officials: id, organisation, topics, linked chat address, active, e-mail address, how they are told."""
    from .channels.mail_queue import undeliverable_addresses

    async def work(app):
        snap = await app.booking.snapshot()
        bounced = await undeliverable_addresses(app.db)
        for o in snap.officials:
            org = snap.organisations.get(o.organisation_id)
            email = o.email or "-"
            if o.email and o.email.casefold() in bounced:
                email += f" ({_t('booking_cli.email_bounces')})"
            click.echo("\t".join([
                o.id, o.name, org.name if org else o.organisation_id, ",".join(sorted(o.topics)),
                o.address or "-", _t("booking_cli.active_yes" if o.active else "booking_cli.active_no"),
                email, _t(f"booking_cli.notify_{o.notified_by}"),
            ]))

    with_app(work)


@officials.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--deactivate-others", is_flag=True, help="Make officials not in FILE inactive (e.g. the demo officials).")
def officials_import(file: Path, deactivate_others: bool) -> None:
    """Import organisations and officials from a YAML or CSV FILE.

    Every bad row is reported with its line and reason; nothing is imported when anything is wrong.
    """
    from booking.officials_file import OfficialsFileError, apply, parse_file

    async def work(app):
        knowledge = app.knowledge.current
        snap = await app.booking.snapshot()
        try:
            data = parse_file(file, topics=[t for t, v in knowledge.topics.items() if v.bookable],
                              authorities=knowledge.authorities, existing_organisations=snap.organisations)
        except OfficialsFileError as exc:
            click.echo(_t("booking_cli.import_failed", file=file, count=len(exc.problems)), err=True)
            for p in exc.problems:
                reason = _t(f"booking_cli.problem_{p.code}", **p.params)
                where = {"line": p.line} if p.line else {}  # line 0: the file as a whole
                click.echo(_t("booking_cli.problem_line" if p.line else "booking_cli.problem_file", file=file.name,
                              reason=reason, **where), err=True)
            sys.exit(1)
        async with app.db.transaction() as conn:
            orgs, people = await apply(conn, data, deactivate_others=deactivate_others)
        click.echo(_t("booking_cli.imported", organisations=orgs, officials=people))

    with_app(work)


@officials.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def officials_export(file: Path | None) -> None:
    """Write organisations, officials and weekly availability as YAML (to FILE or standard output); a FILE
    ending in .csv gets the officials as CSV (organisations are in the YAML only)."""
    from booking import repository as repo
    from booking.officials_file import export_csv, export_yaml

    async def work(app):
        async with app.db.read() as conn:
            orgs = await repo.organisations(conn)
            places = {o: await repo.organisation_place(conn, o) for o in orgs}
            if file and file.suffix.lower() == ".csv":
                text = export_csv(await repo.officials(conn), await repo.windows(conn))
            else:
                text = export_yaml([(org, places[oid]) for oid, org in orgs.items()], await repo.officials(conn),
                                   await repo.windows(conn))
        if file:
            file.write_text(text, encoding="utf-8")
            click.echo(str(file))
        else:
            click.echo(text, nl=False)

    with_app(work)


@officials.command("invite")
@click.argument("official_id")
def officials_invite(official_id: str) -> None:
    """Print a one-time code (valid 7 days) that links a Telegram or Matrix account to OFFICIAL_ID."""
    from .roles import OFFICIAL, UnknownSubject

    async def work(app):
        try:
            code = await app.roles.create_invite(OFFICIAL, subject=official_id)
        except UnknownSubject:
            fail("booking_cli.unknown_official", id=official_id)
        click.echo(code)
        click.echo(_t("booking_cli.invite_how", command=f"/start inv_{code}"))
        username = app.settings.telegram_bot_username
        if username:
            click.echo(f"https://t.me/{username}?start=inv_{code}")

    with_app(work)


@click.group()
def meetings() -> None:
    """Booked Dukat bord meetings."""


@meetings.command("list")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only meetings on this day (YYYY-MM-DD, Stockholm time). Default: from today on.")
@click.option("--all", "include_cancelled", is_flag=True, help="Include cancelled meetings.")
def meetings_list(day: datetime | None, include_cancelled: bool) -> None:
    """List meetings: reference, time, state, officials, topics."""
    from booking import repository as repo

    from .clock import STOCKHOLM
    from .formatting import format_time_range

    async def work(app):
        lang = app.settings.default_lang
        if day is not None:
            start = day.replace(tzinfo=STOCKHOLM)
            end = start + timedelta(days=1)
        else:
            start = app.clock.now().astimezone(STOCKHOLM).replace(hour=0, minute=0, second=0, microsecond=0)
            end = start + timedelta(days=3650)
        async with app.db.read() as conn:
            found = await repo.meetings_between(conn, start, end, include_cancelled=include_cancelled)
            names = {o.id: o.name for o in await repo.officials(conn)}
        if not found:
            click.echo(_t("booking_cli.no_meetings"))
        for m in found:
            click.echo("\t".join([
                m.ref, format_time_range(m.start, m.end, lang), _t(f"booking_cli.state_{m.state}"),
                ", ".join(names.get(i, i) for i in m.official_ids), ",".join(m.topics), m.municipality or "-",
            ]))

    with_app(work)
