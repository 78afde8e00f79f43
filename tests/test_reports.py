"""Reports: the question log, figures on a seeded database, CSV, a real PNG, the CLI command, SIGHUP."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import struct
from datetime import date, datetime, timedelta, timezone

from click.testing import CliRunner

from bot.cli import main
from bot.knowledge_watch import install_reload_signal, pid_file
from bot.reports import build_report, months_before, report_csv, report_png, report_text, stale_months
from tests.conftest import Chat

DAY1, DAY2, DAY3 = "2026-03-09", "2026-03-10", "2026-03-11"


async def seed(app) -> None:
    rows = [(DAY1, "sv", "answered", "asf-vad-ar")] * 3 + [(DAY1, "sv", "fallback", None)] + \
           [(DAY2, "en", "answered", "asf-kriterier"), (DAY2, "sv", "did_you_mean", None), (DAY2, "sv", "answered", "asf-vad-ar")] + \
           [(DAY3, "sv", "fallback", None)] * 2 + [("2026-03-20", "sv", "answered", "asf-vad-ar")]  # outside the period
    for row in rows:
        await app.db.execute("INSERT INTO question_log(day, lang, outcome, faq_id) VALUES (?, ?, ?, ?)", row)
    for i, text in enumerate(["hur startar jag en glassbar", "starta en glassbar", "får hunden jobba"]):
        await app.db.execute("INSERT INTO unanswered(text, lang, created_at) VALUES (?, 'sv', ?)",
                             (text, datetime(2026, 3, 10, 9, i, tzinfo=timezone.utc).isoformat()))
    officials = await app.db.fetchall("SELECT id, organisation_id FROM officials ORDER BY id")
    a, b = officials[0], next(o for o in officials if o["organisation_id"] != officials[0]["organisation_id"])
    stamp = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc).isoformat()
    start = datetime(2026, 3, 11, 9, 0, tzinfo=timezone.utc)
    for n, (state, b_state) in enumerate([("confirmed", "accepted"), ("cancelled", "accepted"), ("pending", "declined")]):
        s, e = (start + timedelta(hours=n)).isoformat(), (start + timedelta(hours=n, minutes=30)).isoformat()
        await app.db.execute(
            "INSERT INTO meetings(id, ref, founder_address, start_utc, end_utc, state, scheduled_at, created_at, updated_at)"
            " VALUES (?, ?, 'console:f', ?, ?, ?, ?, ?, ?)", (f"m{n}", f"REF{n}", s, e, state, stamp, stamp, stamp))
        await app.db.execute("INSERT INTO participants(meeting_id, official_id, state, updated_at) VALUES (?, ?, 'accepted', ?)",
                             (f"m{n}", a["id"], stamp))
        await app.db.execute("INSERT INTO participants(meeting_id, official_id, state, updated_at) VALUES (?, ?, ?, ?)",
                             (f"m{n}", b["id"], b_state, stamp))


def t_of(app, lang="sv"):
    return lambda key, **p: app.catalogue.text(lang, key, **p)


async def test_report_numbers_on_a_seeded_database(app):
    await seed(app)
    report = await build_report(app.db, date(2026, 3, 9), date(2026, 3, 11))
    assert [(d.isoformat(), a, m, f) for d, a, m, f in report.per_day] == [
        (DAY1, 3, 0, 1), (DAY2, 2, 1, 0), (DAY3, 0, 0, 2)]
    assert report.totals == {"answered": 5, "did_you_mean": 1, "fallback": 3}
    assert round(report.share("answered"), 3) == round(5 / 9, 3)
    assert report.top_entries == [("asf-vad-ar", 4), ("asf-kriterier", 1)]
    assert report.top_clusters[0][1] == 2 and "glassbar" in report.top_clusters[0][0]
    assert report.has_booking
    booked = {org: (b, c, d) for org, b, c, d in report.meetings}
    assert sorted(booked.values()) == [(3, 1, 0), (3, 1, 1)]
    loads = sorted(n for _, _, n in report.load)
    assert loads == [1, 2]  # cancelled meetings and declines do not count as load
    text = report_text(report, t_of(app))
    assert "9 frågor: 5 besvarade (56 %)" in text and "asf-vad-ar: 4" in text


async def test_csv_and_png(app):
    await seed(app)
    report = await build_report(app.db, date(2026, 3, 9), date(2026, 3, 11))
    rows = list(csv.reader(io.StringIO(report_csv(report, t_of(app)))))
    assert rows[0] == ["Dag", "Besvarade", "Menade du", "Utan svar"]
    assert rows[1] == [DAY1, "3", "0", "1"] and rows[4] == ["Totalt", "5", "1", "3"]
    png = report_png(report, t_of(app))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 1080) and len(png) > 20_000


async def test_the_question_log_holds_no_identity(app):
    chat = Chat(app, "console:q", pace=20)
    await chat.say("Vad är ett ASF?")
    await chat.say("hur tämjer man en drake")
    rows = await app.db.fetchall("SELECT * FROM question_log ORDER BY id")
    assert [(r["outcome"], r["faq_id"]) for r in rows] == [("answered", "asf-vad-ar"), ("fallback", None)]
    assert set(rows[0].keys()) == {"id", "day", "lang", "outcome", "faq_id"}
    assert rows[0]["day"] == "2026-03-10"


def test_stale_age_and_months():
    assert stale_months({}) == 12 and stale_months({"DUKAT_STALE_MONTHS": "6"}) == 6
    assert stale_months({"DUKAT_STALE_MONTHS": "x"}) == 12
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)


def test_cli_report_writes_csv_and_png(tmp_path, monkeypatch):
    monkeypatch.setenv("DUKAT_DB", str(tmp_path / "r.db"))
    monkeypatch.setenv("DUKAT_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--from", "2026-03-01", "--to", "2026-03-07",
                                  "--csv", str(tmp_path / "r.csv"), "--png", str(tmp_path / "r.png")])
    assert result.exit_code == 0, result.output
    assert "0 frågor" in result.output
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "r.csv").read_text(encoding="utf-8").startswith("Dag,")
    bad = runner.invoke(main, ["report", "--from", "2026-03-07", "--to", "2026-03-01"])
    assert bad.exit_code != 0 and not (tmp_path / "x.csv").exists()
    assert runner.invoke(main, ["report", "--from", "mars", "--to", "2026-03-01"]).exit_code != 0


def test_cli_faq_copy_and_reload_without_a_running_bot(tmp_path, monkeypatch):
    monkeypatch.setenv("DUKAT_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["faq", "copy", str(tmp_path / "k")])
    assert result.exit_code == 0 and (tmp_path / "k" / "faq").is_dir()
    assert runner.invoke(main, ["faq", "copy", str(tmp_path / "k")]).exit_code != 0
    monkeypatch.setenv("DUKAT_KNOWLEDGE_DIR", str(tmp_path / "k"))
    assert runner.invoke(main, ["faq", "check"]).exit_code == 0
    result = runner.invoke(main, ["faq", "reload"])
    assert result.exit_code == 1  # no pid file


async def test_sighup_reloads_through_the_pid_file(app):
    before = app.knowledge.current
    reloaded = asyncio.Event()
    app.knowledge.after_reload.append(reloaded.set)
    undo = install_reload_signal(app, asyncio.get_running_loop())
    try:
        pid = int(pid_file(app.settings).read_text())
        assert pid == os.getpid()
        os.kill(pid, signal.SIGHUP)
        await asyncio.wait_for(reloaded.wait(), 30)
        assert app.knowledge.current is not before
    finally:
        undo()
        app.knowledge.after_reload.remove(reloaded.set)
    assert not pid_file(app.settings).exists()
