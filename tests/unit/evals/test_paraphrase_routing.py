"""The paraphrase corpus: everyday requests (several phrasings each, typos and follow-ups) reach the right
agent, tool and arguments through the supervisor's router and the offline planner, at least 95 % of them."""

from __future__ import annotations

import pytest

from config import Settings
from evals.paraphrase import GATE, Corpus, grade_corpus, load_corpus, matches
from tools import ToolContext, all_tools


@pytest.fixture(scope="module")
def report():
    return grade_corpus()


def test_the_offline_planner_routes_at_least_95_percent_of_the_corpus_right(report, capsys):
    misses = "\n".join(f"  {m.text!r} -> {m.agent}: {m.got} (expected {m.expected})" for m in report.failures())
    with capsys.disabled():
        print(f"\nparaphrase routing: {report.correct} of {report.total} right ({report.accuracy:.1%})\n{misses}")
    assert report.accuracy >= GATE, misses


def test_the_corpus_has_at_least_300_requests_across_every_tool_of_every_agent(report):
    tools = set(all_tools(ToolContext(settings=Settings())))
    covered = {expected for expected in report.per_expected() if not expected.startswith("reply:")}
    assert report.total >= 300
    assert covered == tools
    assert all(n >= 3 for expected, (_, n) in report.per_expected().items() if not expected.startswith("reply:"))


def test_follow_ups_and_typos_are_part_of_the_corpus():
    corpus = load_corpus()
    assert sum(len(r.say) for r in corpus.requests if r.context) >= 40
    said = " ".join(text for r in corpus.requests for text in r.say)
    for typo in ("backtset", "expsoure", "postions", "newz", "comapre", "promte"):
        assert typo in said


def test_a_corpus_naming_an_unknown_context_is_refused_with_the_name():
    with pytest.raises(ValueError, match="unknown context"):
        Corpus.model_validate({"requests": [{"tool": "get_positions", "context": "nope", "say": ["positions"]}]})


@pytest.mark.parametrize(("expected", "actual", "result"), [
    ({"a": 1}, {"a": 1, "b": 2}, True), ({"a": {"b": [1]}}, {"a": {"b": [1], "c": 0}}, True),
    ({}, {"a": 1}, False), ({"a": []}, {"a": [1]}, False), (None, {"a": 1}, True), ({"a": 1}, {"a": 2}, False),
])
def test_arguments_match_as_a_subset_with_empty_containers_meaning_empty(expected, actual, result):
    assert matches(expected, actual) is result
