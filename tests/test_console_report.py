"""The period report in the web console: the figures `build_report` gives (what `dukat-bord report` prints),
for the default period and a chosen one, charts drawn as SVG in the page with a table of the same figures,
the CSV as a download equal to the one the CLI writes, and bad dates refused with a clear message (the same
check as the CLI's)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import date, timedelta
from html import unescape
from pathlib import Path

from click.testing import CliRunner

from bot.admin.report import charts
from bot.catalogue import Catalogue
from bot.cli import main
from bot.clock import STOCKHOLM
from bot.reports import build_report, report_csv, summary_params
from tests.console_helpers import coordinator_client  # noqa: F401
from tests.test_reports import seed

CATALOGUE = Catalogue.load()
SV = lambda key, **p: CATALOGUE.text("sv", key, **p)  # noqa: E731
T = lambda key, **p: CATALOGUE.text("sv", key, **p)  # noqa: E731
REPO = Path(__file__).resolve().parents[1]
PERIOD = "from=2026-03-09&to=2026-03-11"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def table(body: str, table_id: str) -> list[list[str]]:
    """The rows of the page's table `table_id` as cell texts (header row included)."""
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', body, re.S)
    assert found, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


async def test_the_page_shows_the_figures_of_build_report_with_charts(app, coordinator_client):
    await seed(app)
    report = await build_report(app.db, date(2026, 3, 9), date(2026, 3, 11))
    response = await coordinator_client.get(f"/admin/report?{PERIOD}")
    assert response.status == 200
    body = await response.text()
    assert _escaped(SV("report.summary", **summary_params(report))) in body
    assert "9 frågor: 5 besvarade (56 %)" in body
    days = table(body, "per-day")
    assert days[1:-1] == [[d.isoformat(), str(a), str(m), str(f)] for d, a, m, f in report.per_day]
    assert days[-1] == [SV("report.total"), *map(str, report.totals.values())]
    assert [row[::2] for row in table(body, "top-entries")[1:]] == [[name, str(n)] for name, n in report.top_entries]
    assert table(body, "top-clusters")[1:] == [[text, str(n)] for text, n in report.top_clusters]
    assert table(body, "meetings")[1:] == [[org, *map(str, figures)] for org, *figures in report.meetings]
    assert table(body, "load")[1:] == [[official, org, str(n)] for official, org, n in report.load]
    assert SV("report.undelivered_reminders", count=report.undelivered_reminders) in body
    # the charts: inline SVG, a bar per figure above zero, each with its figure as a tooltip; no script, no style
    assert body.count("<svg ") == 3 and "<script" not in body and "style=" not in body
    assert body.count('<rect class="bar-answered"') == sum(1 for _, a, _, _ in report.per_day if a)
    assert body.count('<rect class="bar-fallback"') == sum(1 for _, _, _, f in report.per_day if f)
    assert f"<title>2026-03-09 {SV('report.answered')}: 3</title>" in body
    assert body.count('<rect class="bar-entry"') == len(report.top_entries)
    drawn = charts(report, T)
    tallest = max(drawn["per_day"].bars, key=lambda bar: bar["h"])
    assert tallest["title"].endswith(": 3")  # the highest bar is the highest figure
    assert f'href="/admin/report/csv?{_escaped(PERIOD)}"' in body


async def test_the_default_period_is_the_last_seven_days(app, coordinator_client):
    today = app.clock.now().astimezone(STOCKHOLM).date()
    body = await (await coordinator_client.get("/admin/report")).text()
    start = (today - timedelta(days=6)).isoformat()
    assert f'name="from" value="{start}"' in body and f'name="to" value="{today.isoformat()}"' in body
    assert SV("admin.report.default_period") in body
    assert [row[0] for row in table(body, "per-day")[1:-1]] == [(today - timedelta(days=6 - n)).isoformat()
                                                                for n in range(7)]


async def test_the_csv_download_is_the_csv_the_cli_writes(app, coordinator_client, settings, tmp_path):
    await seed(app)
    response = await coordinator_client.get(f"/admin/report/csv?{PERIOD}")
    assert response.status == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="dukat-rapport-2026-03-09-2026-03-11.csv"'
    assert response.content_type == "text/csv"
    downloaded = await response.read()
    report = await build_report(app.db, date(2026, 3, 9), date(2026, 3, 11))
    assert downloaded == report_csv(report, T).encode("utf-8")
    assert downloaded.decode("utf-8").startswith("Dag,Besvarade,Menade du,Utan svar\r\n2026-03-09,3,0,1")
    written = tmp_path / "cli.csv"
    env = {**os.environ, "DUKAT_DB": settings.db_path, "DUKAT_DATA_DIR": settings.data_dir, "DUKAT_LANG": "sv"}
    cli = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "report", "--from", "2026-03-09",
                                               "--to", "2026-03-11", "--csv", str(written), env=env, cwd=REPO,
                                               stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await cli.communicate()
    assert cli.returncode == 0, err.decode()
    assert written.read_bytes() == downloaded


BAD = [
    ("from=2026-13-01&to=2026-12-31", lambda: SV("coordinator.cli_bad_date", value="2026-13-01")),
    ("from=mars&to=2026-03-01", lambda: SV("coordinator.cli_bad_date", value="mars")),
    ("from=2026-03-07&to=2026-03-01", lambda: SV("coordinator.cli_backwards", start="2026-03-07", end="2026-03-01")),
    ("from=2024-01-01&to=2026-01-01", lambda: SV("coordinator.cli_too_long")),
    ("from=0001-01-01&to=2026-01-01", lambda: SV("admin.report.bad_year", value="0001-01-01", first=2000, last=2100)),
    ("from=2026-01-01&to=9999-12-31", lambda: SV("admin.report.bad_year", value="9999-12-31", first=2000, last=2100)),
    ("from=%3Cb%3Ex%3C%2Fb%3E", lambda: SV("coordinator.cli_bad_date", value="<b>x</b>")),
]


async def test_bad_dates_give_a_clear_message_and_no_report(coordinator_client):
    for query, message in BAD:
        for path in ("/admin/report", "/admin/report/csv"):
            response = await coordinator_client.get(f"{path}?{query}")
            body = await response.text()
            assert response.status == 400, (path, query)
            assert "Content-Disposition" not in response.headers
            assert _escaped(message()) in body, (path, query)
            assert SV("admin.report.problem_help") in body and '<table id="per-day">' not in body
            assert "<b>x</b>" not in body


def test_the_cli_refuses_the_same_absurd_years(tmp_path, monkeypatch):
    monkeypatch.setenv("DUKAT_DB", str(tmp_path / "r.db"))
    monkeypatch.setenv("DUKAT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["report", "--from", "2026-01-01", "--to", "9999-12-31"])
    assert result.exit_code == 2
    assert SV("admin.report.bad_year", value="9999-12-31", first=2000, last=2100) in result.output
