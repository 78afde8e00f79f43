"""Reading a typed reply at a step with options: numbers, labels typed loosely, yes/no and navigation
words, days and times in words, and what must read as nothing."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
import socket
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from knowledge.reading import (
    MEANINGS, REPLIES_FILE, WORDS, Option, Reading, load_reply_words, read_reply, read_time,
)
from knowledge.text import tokens

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=STOCKHOLM)  # a Wednesday

CONSENT = [Option("Ja, fortsätt", "bk:ok", "yes"), Option("Avbryt", "bk:x", "cancel")]
TOPIC_LABELS = [
    "Vad ett ASF är", "✓ Företagsform", "Starta: affärsplan och registrering", "Rådgivning",
    "Anställningsstöd och arbetsträning", "Rehabilitering och Försäkringskassan", "Kommunens stöd",
    "Sälja till kommunen: upphandling och IOP", "Finansiering och bidrag", "Nätverk och ASF-förteckningen",
    "Lokaler", "Dukat bord-möten", "Personuppgifter",
]
TOPICS = [Option(label, f"bk:t:{i}") for i, label in enumerate(TOPIC_LABELS)] + [Option("Klar", "bk:td", "done")]
GUIDE = [Option("Klart ✓", "gd:done", "done"), Option("Hoppa över", "gd:skip", "skip"),
         Option("← Föregående steg", "gd:back", "back"), Option("Var är jag?", "gd:where"),
         Option("Hämta checklista", "gd:list")]
TIMES = [Option("tis 8 dec 10:00", "bk:s:1"), Option("tis 8 dec 14:00", "bk:s:2"),
         Option("ons 9 dec 10:00", "bk:s:3"), Option("Fler tider", "bk:more", "more")]
THREE = [Option("Första", "o:1"), Option("Andra", "o:2"), Option("Tredje", "o:3")]


def at(day: int, hour: int = 0, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


# --- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2", "2.", " 2 ", "nr 2", "Nr. 2", "alternativ 2", "nummer 2", "option 2",
                                  "den andra", "andra", "the second", "the second one", "2:a", "2nd", "nummer två",
                                  "jag tar 2", "2 tack", "2 please", "alternativet 2", "#2", "två"])
def test_a_number_picks_that_option(text):
    assert read_reply(text, CONSENT, NOW) == Reading("option", "bk:x", "cancel")


@pytest.mark.parametrize("text", ["1", "första", "first", "den första", "ettan", "the first one", "ett"])
def test_first(text):
    assert read_reply(text, CONSENT, NOW).payload == "bk:ok"


def test_last_and_numbers_in_the_order_given():
    assert read_reply("sista", TIMES, NOW).payload == "bk:more"
    assert read_reply("3", TIMES, NOW).payload == "bk:s:3"
    assert read_reply("14", TOPICS, NOW).payload == "bk:td"
    assert read_reply("nummer 14", TOPICS, NOW).payload == "bk:td"


@pytest.mark.parametrize("text", ["3", "0", "99", "tredje", "nr 7", "123456789012345"])
def test_out_of_range_numbers_read_as_nothing(text):
    assert read_reply(text, CONSENT, NOW).kind == "none"
    assert read_reply(text, CONSENT, NOW, accepts_time=True).kind == "none"  # a bare number is no time


def test_a_number_beats_a_label_that_is_a_number():
    options = [Option("3", "x"), Option("Avbryt", "y"), Option("Fler", "z")]
    assert read_reply("3", options, NOW).payload == "z"


# --- labels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, payload",
    [
        ("Företagsform", "bk:t:1"),  # the shown "✓ " is not part of it
        ("✓ Företagsform", "bk:t:1"),
        ("foretagsform", "bk:t:1"),
        ("FÖRETAGSFORM!", "bk:t:1"),
        ("Företagsfrom", "bk:t:1"),  # typo
        ("företagsformen", "bk:t:1"),
        ("rådgivning", "bk:t:3"),
        ("radgivnig", "bk:t:3"),
        ("lokaler", "bk:t:10"),
        ("lokalr", "bk:t:10"),
        ("arbetsträning", "bk:t:4"),  # a distinctive part
        ("anstallningsstod", "bk:t:4"),
        ("upphandling", "bk:t:7"),
        ("försäkringskassan", "bk:t:5"),
        ("jag tar lokaler", "bk:t:10"),
        ("lokaler tack", "bk:t:10"),
        ("sälja till kommunen upphandling och iop", "bk:t:7"),
        ("personuppgifter", "bk:t:12"),
    ],
)
def test_a_label_typed_loosely_picks_that_option(text, payload):
    assert read_reply(text, TOPICS, NOW) == Reading("option", payload)


@pytest.mark.parametrize("text, payload", [("can I skip this?", "gd:skip"), ("kan jag hoppa över det här?", "gd:skip"),
                                           ("can we go back?", "gd:back"), ("kan jag gå tillbaka?", "gd:back"),
                                           ("kan jag det?", None), ("kan vi hoppa över momsen?", None)])
def test_a_navigation_word_asked_for_is_that_word(text, payload):
    # "can I skip this?" was read as a question and got the entry on opting out of an auditor.
    assert read_reply(text, GUIDE, NOW).payload == payload


@pytest.mark.parametrize("text", ["ja", "ja, fortsätt", "avbryt", "3"])
def test_an_option_shown_twice_is_one_option_not_a_choice(text):
    # A step asked again under an answer that showed the same step: its options twice, numbered on.
    once = read_reply(text if text != "3" else "1", CONSENT, NOW)
    assert read_reply(text, CONSENT + CONSENT, NOW) == once and once.payload is not None


@pytest.mark.parametrize(
    "text, options, payload",
    [
        ("fortsätt", CONSENT, "bk:ok"),  # a part of "Ja, fortsätt", though it is also a navigation word
        ("Ja, fortsätt", CONSENT, "bk:ok"),
        ("ja fortsatt tack", CONSENT, "bk:ok"),
        ("föregående steg", GUIDE, "gd:back"),
        ("hoppa over", GUIDE, "gd:skip"),
        ("hoppa övr", GUIDE, "gd:skip"),
        ("checklista", GUIDE, "gd:list"),
        ("var är jag", GUIDE, "gd:where"),
        ("tis 8 dec 10:00", TIMES, "bk:s:1"),
        ("tis 8 dec 14", TIMES, "bk:s:2"),
        ("14:00", TIMES, "bk:s:2"),
        ("ons", TIMES, "bk:s:3"),
    ],
)
def test_labels_at_other_steps(text, options, payload):
    reading = read_reply(text, options, NOW, accepts_time=options is TIMES)
    assert (reading.kind, reading.payload) == ("option", payload)


def test_a_chosen_option_carries_its_meaning():
    assert read_reply("Hoppa över", GUIDE, NOW) == Reading("option", "gd:skip", "skip")
    # an untagged option whose label is a navigation word means it
    untagged = [Option("Klart ✓", "gd:done"), Option("Avbryt", "gd:x")]
    assert read_reply("klart", untagged, NOW) == Reading("option", "gd:done", "done")
    assert read_reply("klar", untagged, NOW) == Reading("meaning", "gd:done", "done")


@pytest.mark.parametrize(
    "text",
    [
        "vad är lönebidrag för något?",
        "hur bokar jag ett möte",
        "kan jag få hjälp med lokaler?",
        "jag vill ha rådgivning om företagsform",  # two options at once: ask
        "vad kostar en lokal i kommunen?",
        "och",
        "företag",
        "jag vill starta ett café som anställer folk som står långt från arbetsmarknaden, var börjar jag?",
        "Det vet jag tyvärr inte",
    ],
)
def test_questions_sharing_words_with_labels_read_as_nothing(text):
    reading = read_reply(text, TOPICS, NOW)
    assert reading.kind == "none"
    assert reading.payload is None


def test_a_question_does_not_pick_employment_support():
    assert read_reply("vad är lönebidrag för något?", TOPICS, NOW).payload != "bk:t:4"
    assert read_reply("hur bokar jag ett möte", [Option("Boka ett möte", "bk:new")], NOW).kind == "none"


def test_equally_good_options_read_as_nothing_with_the_candidates():
    assert read_reply("kommunen", TOPICS, NOW) == Reading("none", candidates=("bk:t:6", "bk:t:7"))
    assert read_reply("asf", TOPICS, NOW) == Reading("none", candidates=("bk:t:0", "bk:t:9"))
    premises = [Option("Lokaler i kommunen", "a"), Option("Lokaler och mark", "b")]
    assert read_reply("lokaler", premises, NOW) == Reading("none", candidates=("a", "b"))
    twins = [Option("Boka", "a"), Option("boka!", "b")]
    assert read_reply("boka", twins, NOW) == Reading("none", candidates=("a", "b"))


def test_a_whole_label_with_a_typo_beats_a_part_of_another():
    premises = [Option("Lokaler", "a"), Option("Lokaler och mark", "b")]
    assert read_reply("lokalr", premises, NOW).payload == "a"
    assert read_reply("lokaler", premises, NOW).payload == "a"
    assert read_reply("mark", premises, NOW).payload == "b"


# --- yes, no and navigation -------------------------------------------------------------------------

YES = ["ja", "japp", "jepp", "jo", "javisst", "visst", "absolut", "okej", "ok", "okay", "gärna", "ja tack",
       "självklart", "kör", "låter bra", "yes", "yeah", "yep", "sure", "of course", "sounds good",
       "Ja!", "JA TACK", "ja, gärna", "okej då", "jaaa", "ok please", "ja tack så mycket", "sjalvklart",
       "yes please"]
NO = ["nej", "nä", "nej tack", "nope", "no", "no thanks", "inte nu", "hellre inte", "Nej!", "nej, tack", "nää"]


@pytest.mark.parametrize("text", YES)
def test_yes(text):
    assert read_reply(text, CONSENT, NOW) == Reading("meaning", "bk:ok", "yes")


@pytest.mark.parametrize("text", NO)
def test_no(text):
    assert read_reply(text, CONSENT, NOW) == Reading("meaning", None, "no")  # no option carries "no"
    with_no = [Option("Ja", "y", "yes"), Option("Nej", "n", "no")]
    assert read_reply(text, with_no, NOW).payload == "n"


NAVIGATION = {
    "next": ["nästa", "fortsätt", "vidare", "gå vidare", "next", "continue", "nasta", "Nästa!"],
    "back": ["tillbaka", "bakåt", "föregående", "förra steget", "back", "previous", "go back", "tilbaka"],
    "skip": ["hoppa över", "hoppa", "skippa", "skip", "vet inte", "ingen aning", "spelar ingen roll",
             "don't know", "not sure", "doesn't matter", "any", "hoppa over", "vet inte än"],
    "done": ["klar", "klart", "färdig", "jag är klar", "gjort", "done", "finished", "klart tack"],
    "cancel": ["avbryt", "sluta", "stopp", "glöm det", "cancel", "stop", "never mind", "avbyrt", "glom det"],
    "restart": ["börja om", "starta om", "restart", "start over", "borja om"],
    "more": ["fler", "fler tider", "visa fler", "andra tider", "more", "more times", "later"],
}


@pytest.mark.parametrize("meaning, text", [(m, t) for m, texts in NAVIGATION.items() for t in texts])
def test_navigation_words(meaning, text):
    carrier = Option(f"knapp för {meaning}", f"x:{meaning}", meaning)
    others = [Option("Lönebidrag", "x:a"), carrier, Option("Rådgivning", "x:b")]
    assert read_reply(text, others, NOW) == Reading("meaning", f"x:{meaning}", meaning)
    # no option carries it: the meaning, for the engine to decide
    assert read_reply(text, [Option("Lönebidrag", "x:a")], NOW) == Reading("meaning", None, meaning)


@pytest.mark.parametrize("text", ["ja men vad kostar det?", "ja, vad kostar det", "nej men hur ansöker man?",
                                  "okej, vem betalar?", "yes but who pays", "nästa fråga: vad är IOP?",
                                  "tack"])
def test_a_word_with_more_said_is_not_a_reply(text):
    assert read_reply(text, CONSENT, NOW).kind == "none"


def test_meaning_priority():
    # an exact label beats a yes word
    options = [Option("Ja", "plain"), Option("Ja, fortsätt", "tagged", "yes")]
    assert read_reply("ja", options, NOW) == Reading("option", "plain", "yes")
    # a meaning an option carries beats a label that merely looks like the word
    options = [Option("Nästan klart", "almost"), Option("Gå vidare", "go", "next")]
    assert read_reply("nästa", options, NOW) == Reading("meaning", "go", "next")
    # two meanings at once: the one an option carries
    assert read_reply("nej, avbryt", CONSENT, NOW) == Reading("meaning", "bk:x", "cancel")
    assert read_reply("ja nästa", [Option("Lönebidrag", "a")], NOW).kind == "none"


def test_navigation_at_the_guide_and_times_steps():
    assert read_reply("tillbaka", GUIDE, NOW) == Reading("meaning", "gd:back", "back")
    assert read_reply("klart", GUIDE, NOW) == Reading("option", "gd:done", "done")
    assert read_reply("nästa", GUIDE, NOW) == Reading("meaning", None, "next")
    assert read_reply("fler", TIMES, NOW, accepts_time=True) == Reading("meaning", "bk:more", "more")
    assert read_reply("later", TIMES, NOW, accepts_time=True) == Reading("meaning", "bk:more", "more")


# --- days and times ---------------------------------------------------------------------------------

TIMES_IN_WORDS = [
    ("imorgon kl 10", at(3, 10), at(3, 10), True),
    ("i morgon 10:30", at(3, 10, 30), at(3, 10, 30), True),
    ("på fredag förmiddag", at(4, 8), at(4, 12), False),
    ("nästa tisdag eftermiddag", at(8, 12), at(8, 17), False),
    ("måndag", at(7), at(7, 23, 59), False),
    ("idag efter lunch", at(2, 13), at(2, 17), False),
    ("i övermorgon", at(4), at(4, 23, 59), False),
    ("i overmorgon", at(4), at(4, 23, 59), False),
    ("den 14 december kl 9", at(14, 9), at(14, 9), True),
    ("14/12", at(14), at(14, 23, 59), False),
    ("kl 14", at(2, 14), at(2, 14), True),
    ("next tuesday afternoon", at(8, 12), at(8, 17), False),
    ("tomorrow at 10", at(3, 10), at(3, 10), True),
    ("friday morning", at(4, 8), at(4, 12), False),
    ("on the 14th", at(14), at(14, 23, 59), False),
    ("imorgon lunch", at(3, 11), at(3, 13), False),
    ("torsdag kväll", at(3, 17), at(3, 20), False),
    ("kl 8", at(3, 8), at(3, 8), True),  # already past today: tomorrow
    ("kl 2", at(2, 14), at(2, 14), True),  # a lone small hour is in the afternoon
    ("kl 02:30", at(3, 2, 30), at(3, 2, 30), True),
    ("at 3pm", at(2, 15), at(2, 15), True),
    ("10 am", at(2, 10), at(2, 10), True),
    ("tisdag 10", at(8, 10), at(8, 10), True),  # a number after a day is the hour
    ("imorgon 3", at(3, 15), at(3, 15), True),
    ("halv tio", at(2, 9, 30), at(2, 9, 30), True),
    ("kl 3 på eftermiddagen", at(2, 15), at(2, 15), True),
    ("vid 14-tiden imorgon", at(3, 14), at(3, 14), True),
    ("efter kl 14", at(2, 14), at(2, 23, 59), False),
    ("före lunch", at(2, 8), at(2, 11), False),
    ("ikväll", at(2, 17), at(2, 20), False),
    ("december 14", at(14), at(14, 23, 59), False),
    ("the 14th of december", at(14), at(14, 23, 59), False),
    ("måndag den 7 december", at(7), at(7, 23, 59), False),
    ("den 1 december", at(1, year=2027), at(1, 23, 59, year=2027), False),  # past this year: next year's
    ("den 31", at(31), at(31, 23, 59), False),
    ("nästa vecka", at(7), at(13, 23, 59), False),
    ("tisdag nästa vecka", at(8), at(8, 23, 59), False),
    ("2026-12-24", at(24), at(24, 23, 59), False),
    ("14 december 2027 kl 10", at(14, 10, year=2027), at(14, 10, year=2027), True),
    ("går det bra imorgon kl 10?", at(3, 10), at(3, 10), True),
    ("imorrn kl 10", at(3, 10), at(3, 10), True),
    ("tisag kl 10", at(8, 10), at(8, 10), True),  # a typo in a long word
    ("förmiddag", at(2, 8), at(2, 12), False),
]


@pytest.mark.parametrize("text, start, end, exact", TIMES_IN_WORDS)
def test_days_and_times_in_words(text, start, end, exact):
    reading = read_reply(text, TIMES, NOW, accepts_time=True)
    assert reading.kind == "time", reading
    assert (reading.when.start, reading.when.end, reading.when.exact) == (start, end, exact)
    assert reading.when.start.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("text", ["kl 27", "den 35 mars", "31/11", "29/2", "kl 10:75", "25:00", "13 pm",
                                  "tisdag eller onsdag", "fredag 14 december",  # the 14th is a Monday
                                  "vad kostar det imorgon", "nästa", "10", "kl", "imorgon kl 10 och 14",
                                  "i december", "14 december 2027 2028"])
def test_impossible_or_unclear_times_read_as_nothing(text):
    assert read_reply(text, TIMES, NOW, accepts_time=True).kind in ("none", "meaning")
    assert read_time(text, NOW) is None


def test_times_only_where_the_step_takes_them():
    assert read_reply("imorgon kl 10", CONSENT, NOW) == Reading("none")
    assert read_reply("imorgon kl 10", CONSENT, NOW, accepts_time=True).kind == "time"


def test_a_valid_option_number_is_not_a_time():
    assert read_reply("2", THREE, NOW, accepts_time=True).payload == "o:2"
    assert read_reply("den 2", THREE, NOW, accepts_time=True).payload == "o:2"
    assert read_reply("den 14", THREE, NOW, accepts_time=True).when.start == at(14)


def test_equal_labels_at_the_times_step_fall_back_to_the_time():
    reading = read_reply("10:00", TIMES, NOW, accepts_time=True)
    assert reading.kind == "time" and reading.when.start == at(2, 10)
    assert read_reply("tisdag", TIMES, NOW, accepts_time=True).when.start == at(8)


def test_next_weekday_when_today_is_that_day():
    tuesday = at(1, 9)
    assert read_time("tisdag", tuesday).start == at(1)
    assert read_time("nästa tisdag", tuesday).start == at(8)
    assert read_time("next tuesday", tuesday).start == at(8)


def test_todays_weekday_once_its_time_is_over_means_next_week():
    thursday_evening = at(3, 21)
    assert read_time("torsdag eftermiddag", thursday_evening).start == at(10, 12)
    assert read_time("thursday", thursday_evening).start == at(10)
    assert read_time("torsdag kl 10", at(3, 9)).start == at(3, 10)  # still ahead today
    assert read_time("torsdag förmiddag", at(3, 9)).start == at(3, 8)
    assert read_time("idag", thursday_evening) is None or read_time("idag", thursday_evening).start == at(3)


def test_part_of_day_already_over_means_tomorrow():
    afternoon = at(2, 13)
    assert read_time("förmiddag", afternoon).start == at(3, 8)
    assert read_time("eftermiddag", afternoon).start == at(2, 12)


def test_daylight_saving_time_starts_in_late_march():
    saturday = datetime(2027, 3, 27, 10, 0, tzinfo=STOCKHOLM)  # clocks go forward the night after
    tomorrow = read_time("imorgon kl 10", saturday)
    assert tomorrow.start == datetime(2027, 3, 28, 10, 0, tzinfo=STOCKHOLM)
    assert tomorrow.start.utcoffset() == timedelta(hours=2)
    whole_day = read_time("i morgon", saturday)
    assert whole_day.start.utcoffset() == timedelta(hours=1) and whole_day.end.utcoffset() == timedelta(hours=2)
    utc = timezone.utc
    assert read_time("den 28 mars kl 10", NOW).start.astimezone(utc) == datetime(2027, 3, 28, 8, 0, tzinfo=utc)
    assert read_time("27 mars kl 10", NOW).start.astimezone(utc) == datetime(2027, 3, 27, 9, 0, tzinfo=utc)


def test_now_in_utc_is_read_in_stockholm():
    # 23:30 UTC on 27 March 2027 is already the 28th in Stockholm
    late = datetime(2027, 3, 27, 23, 30, tzinfo=timezone.utc)
    assert read_time("idag", late).start == datetime(2027, 3, 28, 0, 0, tzinfo=STOCKHOLM)
    assert read_reply("imorgon kl 10", TIMES, NOW.astimezone(timezone.utc), accepts_time=True).when.start == at(3, 10)


def test_an_option_meaning_must_be_known():
    with pytest.raises(ValueError):
        Option("Kanske", "x:maybe", "maybe")


def test_a_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        read_reply("ja", CONSENT, datetime(2026, 12, 2, 9, 0))


# --- hostile and odd input --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "?!", "👍", "x" * 1000, "ja " * 400, "1' OR '1'='1",
                                  "<script>alert(1)</script>", "\x00\x01", "ＪＡ" * 300, "2" * 50])
def test_junk_reads_as_nothing(text):
    assert read_reply(text, TIMES, NOW, accepts_time=True).kind == "none"


def test_no_options():
    assert read_reply("2", [], NOW) == Reading("none")
    assert read_reply("sista", [], NOW) == Reading("none")
    assert read_reply("ja", [], NOW) == Reading("meaning", None, "yes")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.booleans())
def test_never_raises(text, accepts_time):
    reading = read_reply(text, TOPICS + TIMES, NOW, accepts_time)
    assert reading.kind in ("option", "meaning", "time", "none")
    assert reading.meaning is None or reading.meaning in MEANINGS
    if reading.kind == "option":
        assert reading.payload in {o.payload for o in TOPICS + TIMES}


# --- purity -----------------------------------------------------------------------------------------

SAMPLES = ["ja", "2", "foretagsfrom", "nästa", "imorgon kl 10", "next tuesday afternoon", "den 14 december kl 9",
           "vad är lönebidrag för något?", "kommunen", "hoppa over", "x" * 1000, "klar"]


def test_read_reply_is_pure(monkeypatch):
    """No file, socket or clock is touched, the options are not changed, and the same input gives the
    same reading."""
    option_sets = [CONSENT, TOPICS, GUIDE, TIMES]
    before = [list(o) for o in option_sets]
    first = [read_reply(t, o, NOW, True) for t in SAMPLES for o in option_sets]

    def refuse(*args, **kwargs):
        raise AssertionError("read_reply did I/O")

    for target, name in [(builtins, "open"), (io, "open"), (os, "open"), (pathlib.Path, "open"),
                         (pathlib.Path, "read_text"), (socket, "socket"), (socket, "create_connection")]:
        monkeypatch.setattr(target, name, refuse)
    monkeypatch.setattr("knowledge.reading.datetime", _NoClock)
    second = [read_reply(t, o, NOW, True) for t in SAMPLES for o in option_sets]
    assert second == first
    assert [list(o) for o in option_sets] == before


class _NoClock(datetime):
    """A datetime whose now() fails: read_reply must use the `now` it is given."""

    @classmethod
    def now(cls, tz=None):
        raise AssertionError("read_reply read the clock")

    @classmethod
    def today(cls):
        raise AssertionError("read_reply read the clock")


# --- the word lists ---------------------------------------------------------------------------------


def test_word_lists_are_consistent():
    data = YAML(typ="safe").load(REPLIES_FILE.read_text(encoding="utf-8"))
    assert set(data["meanings"]) == set(MEANINGS)
    owner: dict[tuple[str, ...], str] = {}
    for meaning, langs in data["meanings"].items():
        for phrase in [p for values in langs.values() for p in values]:
            folded = tuple(tokens(phrase))
            assert folded, phrase
            assert owner.setdefault(folded, meaning) == meaning, f"{phrase!r} means both {owner[folded]} and {meaning}"
            # a one-word meaning that were also a number word would always read as a number
            assert not (len(folded) == 1 and folded[0] in WORDS.number_words), phrase


def test_unknown_meaning_in_the_word_lists_is_refused(tmp_path):
    path = tmp_path / "replies.yaml"
    path.write_text("meanings:\n  maybe: {sv: [kanske]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="maybe"):
        load_reply_words(path)


def test_word_lists_can_grow_without_code(tmp_path):
    path = tmp_path / "replies.yaml"
    bundled = REPLIES_FILE.read_text(encoding="utf-8")
    path.write_text(bundled.replace("yes:\n    sv: [ja,", "yes:\n    sv: [jajamensan, ja,"), encoding="utf-8")
    words = load_reply_words(path)
    assert read_reply("jajamensan", CONSENT, NOW, words=words) == Reading("meaning", "bk:ok", "yes")
    assert read_reply("jajamensan", CONSENT, NOW).kind == "none"
