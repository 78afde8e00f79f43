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
    """Officials who meet founders: list, import, export, invite, calendar feed."""


@officials.command("list")
def officials_list() -> None:
    """List officials: id, organisation, topics, linked chat address, active, e-mail address, how they are told,
    calendar (never its address)."""
    from .channels.mail_queue import undeliverable_addresses

    async def work(app):
        sources = _calendar_sources(app)
        statuses = await app.busy.statuses()
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
                _calendar_column(o.id in sources, statuses.get(o.id), app.settings.default_lang),
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


def _print_feed(official_id: str, reset: bool) -> None:
    from booking.feed import UnknownOfficial

    from .web_feed import feed_url

    async def work(app):
        try:
            secret = await (app.feeds.reset(official_id) if reset else app.feeds.secret(official_id))
        except UnknownOfficial:
            fail("booking_cli.unknown_official", id=official_id)
        name = next((o.name for o in (await app.booking.snapshot()).officials if o.id == official_id), official_id)
        click.echo(_t("web.feed_new_address" if reset else "web.feed_address", name=name), err=True)
        click.echo(feed_url(app, secret))
        if not app.settings.public_url:
            click.echo(_t("web.feed_local_only"), err=True)

    with_app(work)


def _calendar_problem(exc) -> str:
    params = dict(exc.params)
    if "reason" in params:
        params["reason"] = _t(f"calendars.problem_{params['reason']}")
    return _t(f"calendars.problem_{exc.code}", **params)


def _calendar_sources(app):
    """The credentials file's sources, or the problem on standard error and exit 1."""
    from booking.calendar_sources import CalendarSourcesError, load_sources

    try:
        return load_sources(app.settings.calendars_path())
    except CalendarSourcesError as exc:
        click.echo(_calendar_problem(exc), err=True)
        sys.exit(1)


def _calendar_column(has_source: bool, status, lang: str) -> str:
    from .formatting import format_datetime

    if not has_source:
        return _t("calendars.list_no")
    if status is None or (status.read_at is None and status.failed_at is None):
        return _t("calendars.list_not_read")
    if status.failing:
        read = format_datetime(status.read_at, lang) if status.read_at else _t("calendars.never")
        return _t("calendars.list_failing", time=format_datetime(status.failed_at, lang), failure=status.failure,
                  read=read)
    return _t("calendars.list_ok", time=format_datetime(status.read_at, lang))


@officials.command("calendar")
@click.argument("official_id")
@click.argument("url", required=False)
@click.option("--username", default=None, help="CalDAV user name (makes URL a CalDAV collection).")
@click.option("--password-env", "password_env", default=None, metavar="VAR",
              help="Read the CalDAV password from the environment variable VAR (it is stored in the credentials file).")
@click.option("--remove", is_flag=True, help="Remove the official's calendar.")
def officials_calendar(official_id: str, url: str | None, username: str | None, password_env: str | None,
                       remove: bool) -> None:
    """Set (or --remove) the calendar OFFICIAL_ID's busy times are read from: a published ICS address, or a
    CalDAV collection with --username and --password-env. Kept in the owner-only credentials file
    (DUKAT_CALENDARS_FILE), never in the officials file; the address is not printed."""
    import os

    from booking.busy_service import REFRESH_MINUTES
    from booking.calendar_sources import CalendarSource, CalendarSourcesError, check_url, save_sources

    if remove == bool(url):
        fail("calendars.problem_url_or_remove")
    if password_env and not username:
        fail("calendars.problem_password_without_username")
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail("calendars.problem_password_env_unset", name=password_env)
    if url:
        try:
            check_url(url)
        except CalendarSourcesError as exc:
            click.echo(_calendar_problem(exc), err=True)
            sys.exit(1)

    async def work(app):
        from booking.service import BookingService

        async with app.db.read() as conn:
            if not await BookingService.official_exists(conn, official_id):
                fail("booking_cli.unknown_official", id=official_id)
        sources = _calendar_sources(app)
        path = app.settings.calendars_path()
        if remove:
            if sources.pop(official_id, None) is None:
                fail("calendars.not_set", id=official_id)
            save_sources(path, sources)
            click.echo(_t("calendars.removed", id=official_id))
            return
        assert url is not None
        source = CalendarSource(official_id, url.strip(), username=username, password=password)
        sources[official_id] = source
        save_sources(path, sources)
        key = "calendars.saved_caldav" if source.kind == "caldav" else "calendars.saved_ics"
        click.echo(_t(key, id=official_id, username=username or "", minutes=REFRESH_MINUTES))

    with_app(work)


@officials.command("feed")
@click.argument("official_id")
def officials_feed(official_id: str) -> None:
    """Print the secret address of OFFICIAL_ID's calendar feed (made now if they have none), to subscribe to
    in Outlook or Google Calendar."""
    _print_feed(official_id, reset=False)


@officials.command("feed-reset")
@click.argument("official_id")
def officials_feed_reset(official_id: str) -> None:
    """Give OFFICIAL_ID's calendar feed a new secret address and print it; the old address stops working."""
    _print_feed(official_id, reset=True)


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
