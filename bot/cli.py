"""The `dukat-bord` command line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import click

from . import __version__
from .cli_booking import meetings, officials
from .cli_common import ProblemsGroup, fail, format_problems, open_app, settings, text
from .cli_coordinator import coordinators, faq_copy, faq_reload, report_command
from .cli_run import run_command
from .cli_web import web_command


def _fail_on_knowledge(problems) -> None:
    click.echo(format_problems(problems), err=True)
    sys.exit(1)


@click.group(cls=ProblemsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dukat-bord")
def main() -> None:
    """Dukat bord: a chatbot for people starting a work-integrating social enterprise (ASF) in Sweden.

    Configuration comes from the environment: DUKAT_DB (SQLite file), DUKAT_KNOWLEDGE_DIR
    (FAQ directory, default bundled), DUKAT_LANG (sv or en, default sv). A bad value stops any command
    with the problems listed (exit 2); bad input to a command is listed too (exit 1 or 2).
    """


@main.command()
@click.option("--as", "address", default="console:local", show_default=True,
              help="Act as this user address, e.g. console:anna or the address of a demo official; "
              "its waiting messages are shown first.")
def chat(address: str) -> None:
    """Chat with the bot in the terminal (no account needed).

    Type a question and press Enter; type the number of an option to press that button.
    With input from a pipe, each line is one message and the command exits at the end of input.
    Ctrl-C or Ctrl-D (end of input) ends the chat at once; what was said is kept.
    """
    from .channels.console import ConsoleChat
    from .roles import valid_address

    if ":" not in address:
        address = f"console:{address}"
    if not valid_address(address):
        raise click.UsageError(text("coordinator.cli_bad_address", address=address))

    stop = asyncio.Event()  # set by Ctrl-C: the chat ends after the turn in progress, which is saved

    async def run() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)  # removed when the loop closes
        app = await open_app()
        # Telegram, Matrix and e-mail through SMTP are `run`'s; e-mail into .eml files (no SMTP server) is ours too.
        eml = not app.settings.mail_enabled
        app.reminders.reaches = lambda recipient: recipient.startswith("console:") or (eml and recipient.startswith("mail:"))
        try:
            for service in app.background:
                await service.start()
            console = ConsoleChat(app, address)
            await console.run(sys.stdin, interactive=sys.stdin.isatty(), outbox=app.outbox,
                              announce_pending=address != "console:local", stop=stop)
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
    from knowledge.store import KnowledgeStore
    from knowledge.understanding import understand

    from .answers import Operator, compose
    from .catalogue import Catalogue

    if question is None:
        raise click.UsageError(text("cli_problems.no_question"))
    config = settings()
    store = KnowledgeStore(config.knowledge_dir)
    catalogue = Catalogue.load()
    lines = sys.stdin if question == "-" else [question]
    for line in lines:
        line_text = line.rstrip("\n")
        if question == "-" and not line_text.strip():
            continue
        u = understand(line_text, store.current, store.matcher, lang_hint=config.default_lang)
        replies = compose(u, store.current, lambda key, **p: catalogue.text(u.lang, key, **p),
                          operator=Operator.of(config))
        answer = "\n\n".join(r.text for r in replies)
        if as_json:
            click.echo(json.dumps({
                "question": line_text,
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

    target = directory or settings().knowledge_dir
    knowledge, problems = check_knowledge(target)
    if problems or knowledge is None:
        _fail_on_knowledge(problems)
    click.echo(text("problems.ok", entries=len(knowledge.entries), authorities=len(knowledge.authorities),
                    topics=len(knowledge.topics), steps=len(knowledge.guide)))


@faq.command("list")
@click.option("--lang", type=click.Choice(["sv", "en"]), default=None, help="Language of the questions shown.")
@click.option("--topic", default=None, help="Only entries with this topic id.")
def faq_list(lang: str | None, topic: str | None) -> None:
    """List the FAQ entries: id, topics, responsible authority and question."""
    from knowledge.loader import load_knowledge

    config = settings()
    knowledge = load_knowledge(config.knowledge_dir)
    if topic and topic not in knowledge.topics:
        fail("cli_problems.unknown_topic", topic=topic, topics=", ".join(sorted(knowledge.topics)))
    lang = lang or config.default_lang
    for entry in knowledge.entries.values():
        if topic and topic not in entry.topics:
            continue
        click.echo(f"{entry.id}\t{','.join(entry.topics)}\t{entry.authorities[0]}\t{entry.question.get(lang)}")


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Copy the database to TARGET while the bot may be running (SQLite online backup)."""
    from .db import Database, integrity_problems

    config = settings()
    if target.exists():
        raise click.UsageError(text("cli.backup_exists", path=target))
    if config.db_path != ":memory:" and not Path(config.db_path).exists():
        fail("cli_problems.no_database", path=config.db_path)

    async def run() -> None:
        db = await Database.open(config.db_path, _migrations())
        try:
            await db.backup_to(target)
        finally:
            await db.close()
        problems = await integrity_problems(target)
        if problems:
            raise click.ClickException(text("cli.not_sound", path=target, problems="; ".join(problems)))

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

    config = settings()

    async def check() -> list[str]:
        try:
            return await integrity_problems(source)
        except Exception as exc:  # not a database at all
            return [str(exc)]

    problems = asyncio.run(check())
    if problems:
        raise click.ClickException(text("cli.not_sound", path=source, problems="; ".join(problems)))
    if not yes:
        click.confirm(text("cli.restore_confirm", target=config.db_path, source=source), abort=True)
    asyncio.run(restore_from(source, config.db_path))
    click.echo(config.db_path)


def _migrations():
    from .app import all_migrations

    return all_migrations()


main.add_command(run_command)
main.add_command(web_command)
main.add_command(officials)
main.add_command(meetings)
main.add_command(coordinators)
main.add_command(report_command)
faq.add_command(faq_reload)
faq.add_command(faq_copy)

if __name__ == "__main__":  # pragma: no cover
    main()
