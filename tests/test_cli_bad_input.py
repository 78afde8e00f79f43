"""Every `dukat-bord` command given bad input lists the problem and exits non-zero, never with a traceback.

Each case runs the command as a user does (`python -m bot ...`, a real database file) and checks the exit status,
the message (from the catalogue, Swedish being the default) and that standard error holds no traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click
import pytest

from bot.catalogue import Catalogue
from bot.cli import main

from .test_cli import run

CATALOGUE = Catalogue.load()


def t(key: str, /, **params) -> str:
    return CATALOGUE.text("sv", key, **params)


UNKNOWN_FIELD = """\
officials:
  - id: x-one
    name: X
    organisation: demo-kommun
    topics: [kommun]
    colour: red
"""
BAD_YAML = "officials:\n  - id: x-one\n    name: [X\n"
BAD_CSV = 'id,name,organisation,topics\nx-one,X,demo-kommun,kommun\n"x-two,Y,demo-kommun,kommun\n'
SCALAR_LIST = "officials:\n  - {id: x-one, name: X, organisation: demo-kommun, topics: [kommun], municipalities: 5}\n"


@dataclass
class Case:
    command: tuple[str, ...]  # the command path, e.g. ("officials", "import")
    args: Callable[[Path], list[str]]  # the arguments after it, given the test's folder
    expect: Callable[[Path], list[str]]  # texts standard error must contain
    env: dict[str, str] = field(default_factory=dict)  # "{tmp}" stands for the test's folder
    files: dict[str, str] = field(default_factory=dict)  # written into the test's folder first
    status: int | None = None  # the exit status, when it is a particular one
    stdin: str = ""
    prepare: list[list[str]] = field(default_factory=list)  # commands run first (e.g. to create the database)

    def id(self) -> str:
        return " ".join([*self.command, *self.args(Path("T")), *(f"{k}={v}" for k, v in self.env.items())])


def missing(name: str) -> Callable[[Path], str]:
    return lambda tmp: str(tmp / "no-such-folder" / name)


CASES = [
    # officials import: the crash, then the other kinds of bad file
    Case(("officials", "import"), lambda tmp: [str(tmp / "bad.yaml")], files={"bad.yaml": UNKNOWN_FIELD}, status=1,
         expect=lambda tmp: [t("booking_cli.problem_line", file="bad.yaml", line=6,
                                reason=t("booking_cli.problem_unknown_key", key="colour"))]),
    Case(("officials", "import"), lambda tmp: [str(tmp / "broken.yaml")], files={"broken.yaml": BAD_YAML}, status=1,
         expect=lambda tmp: [t("booking_cli.import_failed", file=tmp / "broken.yaml", count=1), "broken.yaml rad 4:"]),
    Case(("officials", "import"), lambda tmp: [str(tmp / "broken.csv")], files={"broken.csv": BAD_CSV}, status=1,
         expect=lambda tmp: [t("booking_cli.problem_line", file="broken.csv", line=3,
                                reason=t("booking_cli.problem_csv_syntax", reason="unexpected end of data"))]),
    Case(("officials", "import"), lambda tmp: [str(tmp / "scalar.yaml")], files={"scalar.yaml": SCALAR_LIST}, status=1,
         expect=lambda tmp: [t("booking_cli.problem_bad_list", field="municipalities")]),
    Case(("officials", "import"), lambda tmp: [str(tmp / "nothing.yaml")], status=2, expect=lambda tmp: ["nothing.yaml"]),
    Case(("officials", "list"), lambda tmp: [], env={"DUKAT_BOOKING_RULES": "{tmp}/rules.yaml"},
         files={"rules.yaml": "meeting_minutes: abc\n"}, status=1,
         expect=lambda tmp: [t("cli_problems.rules", path=tmp / "rules.yaml"), "meeting_minutes"]),
    Case(("officials", "export"), lambda tmp: [missing("officials.yaml")(tmp)], status=1,
         expect=lambda tmp: [t("cli_problems.file", path=missing("officials.yaml")(tmp),
                                reason=t("cli_problems.file_missing"))]),
    Case(("officials", "feed"), lambda tmp: ["no-such-official"], status=1,
         expect=lambda tmp: [t("booking_cli.unknown_official", id="no-such-official")]),
    Case(("officials", "feed-reset"), lambda tmp: ["no-such-official"], status=1,
         expect=lambda tmp: [t("booking_cli.unknown_official", id="no-such-official")]),
    Case(("officials", "invite"), lambda tmp: ["no-such-official"], status=1,
         expect=lambda tmp: [t("booking_cli.unknown_official", id="no-such-official")]),
    Case(("officials", "calendar"), lambda tmp: ["demo-anna", "http://example.org/calendar.ics"], status=1,
         expect=lambda tmp: [t("calendars.problem_plain_http")]),
    Case(("meetings", "list"), lambda tmp: ["--date", "2026-02-30"], status=2, expect=lambda tmp: ["--date"]),
    Case(("meetings", "list"), lambda tmp: [], env={"DUKAT_BOOKING_RULES": "{tmp}/no-such-folder/rules.yaml"},
         status=1, expect=lambda tmp: [t("cli_problems.rules", path=missing("rules.yaml")(tmp))]),
    Case(("report",), lambda tmp: ["--from", "2026-13-01", "--to", "2026-12-31"], status=2,
         expect=lambda tmp: [t("coordinator.cli_bad_date", value="2026-13-01")]),
    Case(("report",), lambda tmp: ["--from", "2026-03-01", "--to", "2026-02-01"], status=2,
         expect=lambda tmp: [t("coordinator.cli_backwards", start="2026-03-01", end="2026-02-01")]),
    Case(("report",), lambda tmp: ["--from", "2026-03-01", "--to", "2026-03-02", "--csv", missing("r.csv")(tmp)],
         status=1, expect=lambda tmp: [t("cli_problems.no_folder", path=missing("r.csv")(tmp))]),
    Case(("backup",), lambda tmp: [str(tmp / "b.db")], status=1,
         expect=lambda tmp: [t("cli_problems.no_database", path=tmp / "cli.db")]),
    Case(("backup",), lambda tmp: [missing("b.db")(tmp)], prepare=[["coordinators", "list"]], status=1,
         expect=lambda tmp: [t("cli_problems.file", path=missing("b.db")(tmp), reason=t("cli_problems.file_missing"))]),
    Case(("restore",), lambda tmp: ["--yes", str(tmp / "junk.db")], files={"junk.db": "not a database\n"}, status=1,
         expect=lambda tmp: [t("cli.not_sound", path=tmp / "junk.db", problems="file is not a database")]),
    Case(("restore",), lambda tmp: ["--yes", str(tmp / "nothing.db")], status=2, expect=lambda tmp: ["nothing.db"]),
    Case(("faq", "check"), lambda tmp: [str(tmp / "nothing")], status=1,
         expect=lambda tmp: [t("problems.header", count=1)]),
    Case(("faq", "list"), lambda tmp: ["--topic", "no-such-topic"], status=1,
         expect=lambda tmp: [t("cli_problems.unknown_topic", topic="no-such-topic", topics="").rstrip()]),
    Case(("faq", "copy"), lambda tmp: [str(tmp / "full")], files={"full/x.txt": "x"}, status=2,
         expect=lambda tmp: [t("coordinator.cli_copy_exists", path=tmp / "full")]),
    Case(("faq", "copy"), lambda tmp: ["/proc/no-such/knowledge"], status=1,
         expect=lambda tmp: [t("cli_problems.file", path="/proc/no-such", reason=t("cli_problems.file_missing"))]),
    Case(("faq", "reload"), lambda tmp: [], status=1,
         expect=lambda tmp: [t("coordinator.cli_not_running", path=tmp / "data" / "dukat-bord.pid")]),
    Case(("coordinators", "add"), lambda tmp: ["anna"], status=2,
         expect=lambda tmp: [t("coordinator.cli_bad_address", address="anna")]),
    Case(("coordinators", "remove"), lambda tmp: ["tg:12345"], status=1,
         expect=lambda tmp: [t("coordinator.cli_not_coordinator", address="tg:12345")]),
    Case(("coordinators", "list"), lambda tmp: [], env={"DUKAT_KNOWLEDGE_DIR": "{tmp}/no-such-knowledge"}, status=1,
         expect=lambda tmp: [t("problems.header", count=1)]),
    Case(("coordinators", "invite"), lambda tmp: [], env={"DUKAT_DEMO_OFFICIALS": "kanske"}, status=2,
         expect=lambda tmp: [t("config.header", count=1), "DUKAT_DEMO_OFFICIALS"]),
    Case(("coordinators", "web-login"), lambda tmp: ["anna"], status=2,
         expect=lambda tmp: [t("coordinator.cli_bad_address", address="anna")]),
    Case(("coordinators", "web-login"), lambda tmp: ["tg:12345"], status=1,
         expect=lambda tmp: [t("admin.cli_not_staff", address="tg:12345").split(".")[0]]),
    Case(("web",), lambda tmp: ["--as", "tg:"], status=2, expect=lambda tmp: [t("coordinator.cli_bad_address", address="tg:")]),
    Case(("web",), lambda tmp: [], env={"DUKAT_WEB_PORT": "http"}, status=2,
         expect=lambda tmp: ['DUKAT_WEB_PORT="http"', t("config.integer")]),
    Case(("web",), lambda tmp: ["--as", "tg:777"], prepare=[["coordinators", "add", "tg:1"]], status=1,
         expect=lambda tmp: [t("admin.cli_not_staff", address="tg:777").split(".")[0]]),
    Case(("ask",), lambda tmp: [], status=2, expect=lambda tmp: [t("cli_problems.no_question")]),
    Case(("ask",), lambda tmp: ["Vad är ett ASF?"], env={"DUKAT_KNOWLEDGE_DIR": "{tmp}/no-such-knowledge"}, status=1,
         expect=lambda tmp: [t("problems.header", count=1)]),
    Case(("chat",), lambda tmp: ["--as", "tg:"], status=2, expect=lambda tmp: [t("coordinator.cli_bad_address", address="tg:")]),
    Case(("chat",), lambda tmp: [], env={"DUKAT_KNOWLEDGE_DIR": "{tmp}/no-such-knowledge"}, stdin="hej\n", status=1,
         expect=lambda tmp: [t("problems.header", count=1)]),
    Case(("run",), lambda tmp: [], env={"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_PORT": "http"}, status=2,
         expect=lambda tmp: ['TELEGRAM_WEBHOOK_PORT="http"', t("config.integer")]),
    Case(("run",), lambda tmp: [], env={"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
                                        "DUKAT_KNOWLEDGE_DIR": "{tmp}/no-such-knowledge"},
         status=1, expect=lambda tmp: [t("problems.header", count=1)]),
]


def refused(result, expected: list[str], status: int | None) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode != 0, result.stdout
    if status is not None:
        assert result.returncode == status, result.stderr
    for text in expected:
        assert text in result.stderr, (text, result.stderr)


@pytest.mark.parametrize("case", CASES, ids=Case.id)
def test_bad_input_is_listed_and_ends_non_zero(case: Case, tmp_path):
    for name, content in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    for command in case.prepare:
        assert run(command, tmp_path).returncode == 0
    env = {name: value.replace("{tmp}", str(tmp_path)) for name, value in case.env.items()}
    result = run([*case.command, *case.args(tmp_path)], tmp_path, stdin=case.stdin, env=env)
    refused(result, case.expect(tmp_path), case.status)


def commands(group: click.Group, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= commands(command, (*path, name))
        else:
            found.add((*path, name))
    return found


def test_every_command_has_a_bad_input_case():
    assert commands(main) - {case.command for case in CASES} == set()


def test_an_import_with_an_unknown_field_changes_nothing(tmp_path):
    (tmp_path / "bad.yaml").write_text(UNKNOWN_FIELD, encoding="utf-8")
    before = run(["officials", "list"], tmp_path).stdout
    assert run(["officials", "import", str(tmp_path / "bad.yaml")], tmp_path).returncode == 1
    assert run(["officials", "list"], tmp_path).stdout == before
