"""A sample of the conversation suite through `dukat-bord chat` as a separate process reading a pipe, as a
script or a newcomer at the console meets it: typed answers only, the chat reopened between runs.
Each piped script stays under 14 lines (the per-user rate limit allows about 15 messages at once)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from booking.rules import load_rules

from .test_cli import run


def chat(tmp_path: Path, lines: list[str], *args: str) -> str:
    assert len(lines) < 14
    result = run(["chat", *args], tmp_path, stdin="".join(f"{line}\n" for line in lines))
    assert result.returncode == 0, result.stderr
    return result.stdout


def bot_says(out: str) -> list[str]:
    """The bot's messages in order, each with the options listed under it."""
    return [m for m in re.split(r"^Dukat bord: ", out, flags=re.MULTILINE) if m.strip()]


def invitation(tmp_path: Path, ref: str) -> str:
    """What the first official of meeting `ref` finds waiting in the console."""
    meetings = run(["meetings", "list"], tmp_path).stdout
    names = re.search(rf"{ref}\t[^\t]+\t[^\t]+\t([^\t]+)", meetings)[1].split(", ")
    officials = run(["officials", "list"], tmp_path).stdout.splitlines()
    ids = {line.split("\t")[1]: line.split("\t")[0] for line in officials}
    return chat(tmp_path, [], "--as", f"console:{ids[names[0]]}")


def test_follow_up_about_lonebidrag_names_arbetsformedlingen(tmp_path):
    out = chat(tmp_path, ["vad är lönebidrag?", "och hur ansöker jag om det?", "och hur funkar nystartsjobb?"])
    first, follow_up, new = bot_says(out)[-3:]
    assert "Arbetsförmedlingen" in follow_up and "lönebidrag" in follow_up.lower()
    assert "F-skatt" not in follow_up and not follow_up.startswith("Ja")
    assert "Nystartsjobb" in new and "Lönebidrag är" not in new


def test_booking_typed_end_to_end_with_junk_a_question_and_a_restart(tmp_path):
    first = chat(tmp_path, ["boka möte", "ja"])
    assert "Vad vill du prata om?" in first
    # Reopened: no options in the console's memory, so "2" is read against the ones the bot kept.
    out = chat(tmp_path, ["2", "lokaler", "klar", "2", "vad är lönebidrag?", "Ett kafé med arbetsträning",
                          "gbg", "1", "ja"])
    assert "✓ Företagsform" in out and "✓ Lokaler" in out
    assert "Skriv din idé med några ord" in out  # "2" is no idea
    assert "Lönebidrag är" in out and "Där var vi:" in out
    summary = out[out.index("Stämmer det här?"):]
    assert "Kommun: Göteborg" in summary and "Din idé: Ett kafé med arbetsträning" in summary
    ref = re.search(r"Bokat! Referens: (\w+)", out)[1]
    waiting = invitation(tmp_path, ref)
    assert "Idén: Ett kafé med arbetsträning" in waiting and "Kommun: Göteborg" in waiting
    assert "Idén: 2" not in waiting


def test_the_guide_typed_in_the_console(tmp_path):
    out = chat(tmp_path, ["/guide", "klart", "hoppa över", "tillbaka", "var är jag?", "checklista"])
    assert "Steg 2 av" in out and "Steg 3 av" in out
    assert "Det här steget hoppade du över" in out  # back at the skipped step 2
    assert re.search(r"→ 2\. .*\(här är du\)", out) and "✓ 1." in out
    assert "Fil sparad:" in out and "dukat-bord-checklista.md" in out
    again = chat(tmp_path, ["var är jag?"])  # reopened: the guide remembers
    assert re.search(r"→ 2\. ", again)


def test_an_english_user_books_by_typing_and_the_console_speaks_english(tmp_path):
    out = chat(tmp_path, ["english please", "book a meeting", "yes", "company form", "done", "skip", "don't know",
                          "next tuesday afternoon", "1", "yes"], "--as", "anna")
    assert "I will write in English now." in out
    assert "Free times near Tuesday" in out
    assert "Booked! Reference:" in out
    assert "File saved:" in out and "Fil sparad" not in out  # the console's own line
    again = chat(tmp_path, ["my meetings"], "--as", "anna")
    assert again.startswith("No waiting messages for console:anna.") and "Your upcoming meetings" in again


def test_asking_for_an_english_speaker_keeps_the_chat_swedish(tmp_path):
    out = chat(tmp_path, ["hej", "is there someone who speaks english I can talk to?", "vad är ett ASF?"])
    people, answer = bot_says(out)[-2:]
    assert "engelska" in people and "I will write in English" not in out
    assert "Ansvarig:" in answer and "Responsible:" not in out


def test_cancel_and_stale_options_in_the_console(tmp_path):
    out = chat(tmp_path, ["boka möte", "ja", "lokaler", "klar", "hoppa over", "Blåbärsby", "avbryt", "Klar"])
    assert "ingen kommun med det namnet" in out
    assert "Okej, jag avbryter." in out
    # "Klar" after the flow ended: nothing to go on with, said as such; no FAQ guess, no new flow.
    assert "Det finns inget att gå vidare" in bot_says(out)[-1]
    assert run(["meetings", "list"], tmp_path).stdout.strip() == "Inga möten."


WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag")


def open_weekday_ahead(days: int = 2) -> date:
    """The first weekday at least `days` ahead on which meetings may take place (not a holiday), so the
    process under test, which runs on the real clock, has free times on the day asked for."""
    rules, day = load_rules(), datetime.now(ZoneInfo("Europe/Stockholm")).date() + timedelta(days=days)
    while day.weekday() >= 5 or rules.is_closed(day):
        day += timedelta(days=1)
    return day


def test_a_day_asked_for_navigation_and_a_restart_across_reopened_chats(tmp_path):
    day = open_weekday_ahead()
    first = chat(tmp_path, [f"kan jag boka ett möte på {WEEKDAYS_SV[day.weekday()]} förmiddag?", "ja", "lokaler", "klar"])
    assert "Beskriv gärna din idé" in first
    # Reopened: typed navigation is read against the step the bot kept.
    out = chat(tmp_path, ["hoppa over", "tillbaka", "nästa", "norrkoping"])
    steps = bot_says(out)
    assert "I vilken kommun" in steps[0] and "Beskriv gärna din idé" in steps[1] and "I vilken kommun" in steps[2]
    offered = [line.split("] ", 1)[1] for line in steps[3].splitlines() if re.match(r"\s+\[\d\] \w{3} \d", line)]
    short = ("mån", "tis", "ons", "tor", "fre")[day.weekday()]
    assert offered and all(time.startswith(f"{short} ") for time in offered), steps[3]  # the day asked for
    again = chat(tmp_path, ["tillbaka", "börja om"])
    back, restart = bot_says(again)
    assert "I vilken kommun" in back and "Innan vi bokar" in restart
