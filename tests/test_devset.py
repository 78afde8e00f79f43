"""The matcher on the development sets: shape of the sets, accuracy in scope, abstention out of scope.

The dev sets (tests/data/dev_*.yaml) are questions as founders type them, labelled with the FAQ entry
(`faq:`), the responsible authority for routing questions (`authority:`) or `out: true`. They are never
added to the FAQ as phrasings; thresholds in knowledge/data/matcher.yaml were tuned on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pytest
from ruamel.yaml import YAML

from knowledge.model import Knowledge
from knowledge.text import fold
from knowledge.understanding import Understanding, understand

DEV_DIR = Path(__file__).parent / "data"
OFFERS_CONTENT = ("faq", "routing", "did_you_mean")


@dataclass(frozen=True)
class DevQuestion:
    q: str
    lang: str
    faq: str | None = None
    authority: str | None = None
    out: bool = False
    kinds: tuple[str, ...] = ()
    source: str = ""

    @property
    def in_scope(self) -> bool:
        return not self.out


def load_dev_sets(directory: Path = DEV_DIR) -> list[DevQuestion]:
    """Every question of every dev_*.yaml file."""
    questions = []
    for path in sorted(directory.glob("dev_*.yaml")):
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("questions") or []:
            questions.append(DevQuestion(
                q=str(item["q"]),
                lang=str(item["lang"]),
                faq=item.get("faq"),
                authority=item.get("authority"),
                out=bool(item.get("out", False)),
                kinds=tuple(item.get("kind") or ()),
                source=path.name,
            ))
    return questions


def is_right(question: DevQuestion, u: Understanding) -> bool:
    """In scope: the expected entry answered, routed or among the suggestions; or the authority first."""
    if question.faq is not None:
        if u.intent in ("faq", "routing") and u.faq_id == question.faq:
            return True
        return u.intent == "did_you_mean" and question.faq in u.suggestions
    if question.authority is not None:
        return bool(u.authorities) and u.authorities[0] == question.authority
    return False


def is_strict(question: DevQuestion, u: Understanding) -> bool:
    """Answered directly, without a "did you mean" step."""
    if question.faq is not None:
        return u.intent in ("faq", "routing") and u.faq_id == question.faq
    return is_right(question, u) and u.intent in ("faq", "routing")


def abstains(u: Understanding) -> bool:
    """Out of scope: no FAQ content offered."""
    return u.intent not in OFFERS_CONTENT


@dataclass(frozen=True)
class Score:
    in_scope: int
    right: int
    strict: int
    out: int
    abstained: int
    misses: tuple[str, ...]

    @property
    def right_rate(self) -> float:
        return self.right / max(self.in_scope, 1)

    @property
    def strict_rate(self) -> float:
        return self.strict / max(self.in_scope, 1)

    @property
    def abstain_rate(self) -> float:
        return self.abstained / max(self.out, 1)


def evaluate(questions: Iterable[DevQuestion], answer: Callable[[DevQuestion], Understanding]) -> Score:
    in_scope = right = strict = out = abstained = 0
    misses = []
    for question in questions:
        u = answer(question)
        if question.out:
            out += 1
            if abstains(u):
                abstained += 1
            else:
                misses.append(f"OUT  {question.q!r} -> {u.intent} {u.faq_id or u.suggestions} {u.score:.0f}")
            continue
        in_scope += 1
        expected = question.faq or question.authority
        if is_right(question, u):
            right += 1
            strict += is_strict(question, u)
        else:
            got = u.faq_id or (u.suggestions and list(u.suggestions)) or list(u.authorities)
            misses.append(f"MISS {question.q!r} [{question.lang}] want {expected} -> {u.intent} {got} {u.score:.0f}")
    return Score(in_scope, right, strict, out, abstained, tuple(misses))


# --- the tests ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_set() -> list[DevQuestion]:
    questions = load_dev_sets()
    if not questions:
        pytest.fail(f"no dev set in {DEV_DIR}")
    return questions


def test_dev_set_has_the_agreed_shape(dev_set):
    sv = [q for q in dev_set if q.in_scope and q.lang == "sv"]
    kinds = lambda qs, *ks: [q for q in qs if set(ks) & set(q.kinds)]  # noqa: E731
    assert len(dev_set) >= 150
    assert len(sv) >= 100
    assert len(kinds(sv, "typo", "ascii")) >= 20
    assert len(kinds(sv, "colloquial")) >= 15
    assert len([q for q in dev_set if q.in_scope and q.lang == "en"]) >= 25
    assert len([q for q in dev_set if q.out]) >= 25
    for q in dev_set:
        assert q.lang in ("sv", "en"), q
        assert q.out + (q.faq is not None) + (q.authority is not None) == 1, q


def test_dev_set_labels_exist_and_no_question_is_a_stored_phrasing(dev_set, knowledge_store):
    knowledge: Knowledge = knowledge_store.current
    stored = {fold(p) for e in knowledge.entries.values() for lang in ("sv", "en") for p in e.phrasings(lang)}
    assert [q.q for q in dev_set if fold(q.q) in stored] == []
    assert [q.faq for q in dev_set if q.faq is not None and q.faq not in knowledge.entries] == []
    assert [q.authority for q in dev_set if q.authority is not None and q.authority not in knowledge.authorities] == []


@pytest.fixture(scope="module")
def score(dev_set, knowledge_store, pytestconfig) -> Score:
    knowledge, matcher = knowledge_store.current, knowledge_store.matcher
    result = evaluate(dev_set, lambda q: understand(q.q, knowledge, matcher, lang_hint=q.lang))  # type: ignore[arg-type]
    summary = (
        f"dev set: in scope right {result.right_rate:.1%} ({result.right}/{result.in_scope}), "
        f"strict {result.strict_rate:.1%}, out-of-scope abstention {result.abstain_rate:.1%} "
        f"({result.abstained}/{result.out}), {len(result.misses)} misses"
    )
    # Shown without -s too: capture paused, written by pytest's own terminal reporter.
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(summary)
    print(summary + "\n" + "\n".join(result.misses))  # with -s: every miss
    return result


def test_in_scope_questions_are_answered(score):
    assert score.right_rate >= 0.90, (
        f"right {score.right_rate:.1%}, strict {score.strict_rate:.1%}; misses:\n" + "\n".join(score.misses)
    )


def test_out_of_scope_questions_get_no_faq_content(score):
    assert score.abstain_rate >= 0.85, (
        f"abstention {score.abstain_rate:.1%}; misses:\n" + "\n".join(m for m in score.misses if m.startswith("OUT"))
    )
