"""What every `dukat-bord` command shares: the settings, catalogue texts, the app, and how problems are told.

`ProblemsGroup` is the root command group: bad configuration, a database that cannot be opened, broken
knowledge or booking-rules files and files that cannot be read or written end any command with the
problems listed on standard error (exit 2 for configuration, 1 for the rest), never with a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sys
from typing import Any, Awaitable, Callable, NoReturn, TypeVar

import click

from .catalogue import Catalogue
from .config import ConfigError, Settings, lang_of

EXIT_PROBLEMS = 1
EXIT_CONFIG = 2

T = TypeVar("T")


def settings() -> Settings:
    """The settings, read once per command (ConfigError when the environment is wrong)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Settings.from_env()
    meta = ctx.find_root().meta
    if "dukat.settings" not in meta:
        meta["dukat.settings"] = Settings.from_env()
    return meta["dukat.settings"]


def lang() -> str:
    try:
        return settings().default_lang
    except ConfigError:
        return lang_of(os.environ)


def text(key: str, /, **params: object) -> str:
    """The catalogue text `key` in the configured language."""
    return Catalogue.load().text(lang(), key, **params)


def fail(key: str, /, **params: object) -> NoReturn:
    """Say what is wrong (catalogue text `key`) on standard error and exit 1."""
    click.echo(text(key, **params), err=True)
    sys.exit(EXIT_PROBLEMS)


def format_problems(problems, lang_: str | None = None) -> str:
    """Knowledge-file problems, one `file | entry | field | message` line each, under a header."""
    from knowledge.loader import iter_problems_sorted

    catalogue = Catalogue.load()
    lang_ = lang_ or lang()
    lines = [catalogue.text(lang_, "problems.header", count=len(problems))]
    for p in iter_problems_sorted(problems):
        message = catalogue.text(lang_, f"problems.{p.code}", **p.params)
        lines.append(catalogue.text(lang_, "problems.line", file=p.file, entry=p.entry or "-", field=p.field or "-",
                                    message=message))
    return "\n".join(lines)


async def open_app():
    """Build the app for a command (migrating the database, loading demo officials into an empty one)."""
    from .app import build_app

    return await build_app(settings())


def with_app(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(app)` on a freshly built app and close it afterwards."""

    async def main() -> T:
        app = await open_app()
        try:
            return await work(app)
        finally:
            await app.close()

    return asyncio.run(main())


def config_problems(exc: ConfigError) -> str:
    catalogue = Catalogue.load()
    lines = [catalogue.text(exc.lang, "config.header", count=len(exc.problems))]
    for p in exc.problems:
        reason = catalogue.text(exc.lang, f"config.{p.code}", **p.params)
        key = "config.line_secret" if p.value is None else "config.line"
        lines.append(catalogue.text(exc.lang, key, variable=p.variable, value=p.value, reason=reason))
    return "\n".join(lines)


_FILE_REASONS = {errno.ENOENT: "missing", errno.ENOTDIR: "missing", errno.EACCES: "no_permission",
                 errno.EPERM: "no_permission", errno.EISDIR: "is_directory", errno.EROFS: "read_only",
                 errno.ENOSPC: "disk_full", errno.EEXIST: "exists"}


def problem_text(exc: BaseException) -> str | None:
    """What to tell about an exception that bad input or a bad environment causes; None for anything else."""
    from booking.rules import RulesError
    from knowledge.loader import KnowledgeError

    from .db import DatabaseUnusable

    if isinstance(exc, ConfigError):
        return config_problems(exc)
    if isinstance(exc, DatabaseUnusable):
        return text("cli_problems.database", path=exc.path, reason=text(f"cli_problems.database_{exc.reason}"),
                    detail=exc.detail)
    if isinstance(exc, KnowledgeError):
        return format_problems(exc.problems)
    if isinstance(exc, RulesError):
        return "\n".join([text("cli_problems.rules", path=exc.source), *(f"  {p}" for p in exc.problems)])
    if isinstance(exc, OSError) and exc.filename is not None:
        reason = _FILE_REASONS.get(exc.errno or 0)
        said = text(f"cli_problems.file_{reason}") if reason else exc.strerror or type(exc).__name__
        return text("cli_problems.file", path=exc.filename, reason=said)
    return None


class ProblemsGroup(click.Group):
    """The root group: turns the exceptions of bad input (see `problem_text`) into listed problems and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            said = problem_text(exc)
            if said is None:
                raise
            click.echo(said, err=True)
            sys.exit(EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_PROBLEMS)
