"""The `dukat-bord` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from . import __version__
from .catalogue import Catalogue
from .config import Settings


def _settings() -> Settings:
    return Settings.from_env()


def _catalogue_text(key: str, **params: object) -> str:
    return Catalogue.load().text(_settings().default_lang, key, **params)


def _fail_on_knowledge(problems) -> None:
    click.echo(format_problems(problems), err=True)
    sys.exit(1)


def format_problems(problems, lang: str | None = None) -> str:
    from knowledge.loader import iter_problems_sorted

    catalogue = Catalogue.load()
    lang = lang or _settings().default_lang
    lines = [catalogue.text(lang, "problems.header", count=len(problems))]
    for p in iter_problems_sorted(problems):
        message = catalogue.text(lang, f"problems.{p.code}", **p.params)
        lines.append(catalogue.text(lang, "problems.line", file=p.file, entry=p.entry or "-", field=p.field or "-", message=message))
    return "\n".join(lines)


async def open_app(settings: Settings | None = None):
    """Build the app for a command; a broken knowledge dir exits 1 with every problem listed."""
    from knowledge.loader import KnowledgeError

    from .app import build_app

    try:
        return await build_app(settings or _settings())
    except KnowledgeError as exc:
        _fail_on_knowledge(exc.problems)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dukat-bord")
def main() -> None:
    """Dukat bord: a chatbot for people starting a work-integrating social enterprise (ASF) in Sweden.

    Configuration comes from the environment: DUKAT_DB (SQLite file), DUKAT_KNOWLEDGE_DIR
    (FAQ directory, default bundled), DUKAT_LANG (sv or en, default sv).
    """


@main.command()
@click.option("--as", "address", default="console:local", show_default=True,
              help="Act as this user address, e.g. console:anna or the address of a demo official; "
              "its waiting messages are shown first.")
def chat(address: str) -> None:
    """Chat with the bot in the terminal (no account needed).

    Type a question and press Enter; type the number of an option to press that button.
    With input from a pipe, each line is one message and the command exits at the end of input.
    """
    from .channels.console import ConsoleChat

    if ":" not in address:
        address = f"console:{address}"

    async def run() -> None:
        app = await open_app()
        try:
            for service in app.background:
                await service.start()
            console = ConsoleChat(app, address)
            await console.run(sys.stdin, interactive=sys.stdin.isatty(), outbox=app.outbox,
                              announce_pending=address != "console:local")
        finally:
            for service in reversed(app.background):
                await service.stop()
            await app.close()

    asyncio.run(run())


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
def ask(question: str | None, as_json: bool) -> None:
    """Answer one QUESTION, or with '-' one question per line from standard input.

    Keeps no conversation state. JSON keys: question, lang, intent, faq_id, score, authorities,
    answer, suggestions.
    """
    from knowledge.loader import KnowledgeError
    from knowledge.store import KnowledgeStore
    from knowledge.understanding import understand

    from .answers import compose

    settings = _settings()
    try:
        store = KnowledgeStore(settings.knowledge_dir)
    except KnowledgeError as exc:
        _fail_on_knowledge(exc.problems)
    catalogue = Catalogue.load()
    if question is None:
        raise click.UsageError("give a QUESTION, or '-' to read questions from standard input")
    lines = sys.stdin if question == "-" else [question]
    for line in lines:
        text = line.rstrip("\n")
        if question == "-" and not text.strip():
            continue
        u = understand(text, store.current, store.matcher, lang_hint=settings.default_lang)
        replies = compose(u, store.current, lambda key, **p: catalogue.text(u.lang, key, **p))
        answer = "\n\n".join(r.text for r in replies)
        if as_json:
            click.echo(json.dumps({
                "question": text,
                "lang": u.lang,
                "intent": u.intent,
                "faq_id": u.faq_id,
                "score": round(float(u.score), 1),
                "authorities": list(u.authorities),
                "answer": answer,
                "suggestions": list(u.suggestions),
            }, ensure_ascii=False))
        else:
            click.echo(answer)
            for reply in replies:
                for i, button in enumerate(reply.all_buttons(), 1):
                    click.echo(f"  [{i}] {button.label}")
            click.echo()


@main.group()
def faq() -> None:
    """Inspect and validate the FAQ (knowledge files)."""


@faq.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def faq_check(directory: Path | None) -> None:
    """Validate the knowledge files in DIRECTORY (default: DUKAT_KNOWLEDGE_DIR or the bundled ones).

    Lists every problem as file | entry | field | message and exits 1 when there is any.
    """
    from knowledge.loader import check_knowledge

    target = directory or _settings().knowledge_dir
    knowledge, problems = check_knowledge(target)
    if problems or knowledge is None:
        _fail_on_knowledge(problems)
    click.echo(_catalogue_text("problems.ok", entries=len(knowledge.entries), authorities=len(knowledge.authorities),
                               topics=len(knowledge.topics), steps=len(knowledge.guide)))


@faq.command("list")
@click.option("--lang", type=click.Choice(["sv", "en"]), default=None, help="Language of the questions shown.")
@click.option("--topic", default=None, help="Only entries with this topic id.")
def faq_list(lang: str | None, topic: str | None) -> None:
    """List the FAQ entries: id, topics, responsible authority and question."""
    from knowledge.loader import KnowledgeError, load_knowledge

    settings = _settings()
    try:
        knowledge = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        _fail_on_knowledge(exc.problems)
    lang = lang or settings.default_lang
    for entry in knowledge.entries.values():
        if topic and topic not in entry.topics:
            continue
        click.echo(f"{entry.id}\t{','.join(entry.topics)}\t{entry.authorities[0]}\t{entry.question.get(lang)}")


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Copy the database to TARGET while the bot may be running (SQLite online backup)."""
    from .db import Database, integrity_problems

    settings = _settings()
    if target.exists():
        raise click.UsageError(_catalogue_text("cli.backup_exists", path=target))

    async def run() -> None:
        db = await Database.open(settings.db_path, _migrations())
        try:
            await db.backup_to(target)
        finally:
            await db.close()
        problems = await integrity_problems(target)
        if problems:
            raise click.ClickException(_catalogue_text("cli.not_sound", path=target, problems="; ".join(problems)))

    asyncio.run(run())
    click.echo(str(target))


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(source: Path, yes: bool) -> None:
    """Replace the database (DUKAT_DB) with the backup SOURCE, after checking the backup is sound.

    Stop `dukat-bord run` first: a restore under a running bot would mix two states.
    """
    from .db import integrity_problems, restore_from

    settings = _settings()

    async def check() -> list[str]:
        try:
            return await integrity_problems(source)
        except Exception as exc:  # not a database at all
            return [str(exc)]

    problems = asyncio.run(check())
    if problems:
        raise click.ClickException(_catalogue_text("cli.not_sound", path=source, problems="; ".join(problems)))
    if not yes:
        click.confirm(_catalogue_text("cli.restore_confirm", target=settings.db_path, source=source), abort=True)
    asyncio.run(restore_from(source, settings.db_path))
    click.echo(settings.db_path)


def _migrations():
    from .app import all_migrations

    return all_migrations()


from .cli_run import run_command  # noqa: E402  (the command lives in its own module)

main.add_command(run_command)

from .cli_booking import meetings, officials  # noqa: E402

main.add_command(officials)
main.add_command(meetings)

from .cli_coordinator import coordinators, faq_copy, faq_reload, report_command  # noqa: E402

main.add_command(coordinators)
main.add_command(report_command)
faq.add_command(faq_reload)
faq.add_command(faq_copy)

if __name__ == "__main__":  # pragma: no cover
    main()
