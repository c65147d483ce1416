"""The one text layer: the stemmer agrees with the search index, one stop-word list, one dateline."""

from __future__ import annotations

import pytest

from bot.answering.terms import stem_term
from bot.search.engine import build_analyzer
from bot.text.datelines import match_dateline, strip_dateline
from bot.text.terms import QUESTION_STOP_WORDS, STOP_WORDS, stem


@pytest.mark.parametrize(("a", "b"), [("rate", "rated"), ("rise", "rises"), ("approve", "approved"),
                                      ("approval", "approves"), ("chips", "chip"), ("Samsung's", "samsung")])
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_news_is_not_new() -> None:
    assert stem("news") != stem("new")


@pytest.mark.parametrize("word", ["rated", "rises", "news", "approval", "Exporting", "fibres", "café", "companies"])
def test_stems_are_the_index_terms(word: str) -> None:
    """The answerer weighs a word by the index's statistics for it: both must stem it alike."""
    assert [stem(word)] == build_analyzer().analyze(word)


def test_movement_verbs_fold_into_one_term() -> None:
    assert stem_term("rose") == stem_term("rises") == stem_term("gained")
    assert stem_term("fell") == stem_term("declines")


def test_question_words_extend_the_stop_words() -> None:
    assert STOP_WORDS < QUESTION_STOP_WORDS and "october" in QUESTION_STOP_WORDS
    assert "may" not in QUESTION_STOP_WORDS  # a verb as often as a month


@pytest.mark.parametrize(
    ("text", "place", "source", "rest"),
    [
        ("SEOUL (Reuters) - Samsung said", "SEOUL", "Reuters", "Samsung said"),
        ("TOKYO, July 4 (Reuters) — Japan approved", "TOKYO", "Reuters", "Japan approved"),
        ("HARBOUR CITY (Loopback Ledger) - The Old Bridge", "HARBOUR CITY", "Loopback Ledger", "The Old Bridge"),
        ("NEW YORK - Shares rose", "NEW YORK", None, "Shares rose"),
    ],
)
def test_one_dateline_pattern(text: str, place: str, source: str | None, rest: str) -> None:
    found = match_dateline(text)
    assert found is not None and (found.place, found.source) == (place, source)
    assert strip_dateline(text) == rest


def test_a_sentence_is_not_a_dateline() -> None:
    assert match_dateline("Samsung said on Monday - quietly - that it") is None


def test_initials_and_a_glued_all_caps_headline() -> None:
    from bot.text.sentences import split_sentences

    assert split_sentences("J.C. Penney Co stock rose. H.F. Ahmanson fell 1-1/8.") == [
        "J.C. Penney Co stock rose.", "H.F. Ahmanson fell 1-1/8."]
    assert split_sentences("SEOUL CUTS TARIFFS FOR U.S.. South Korea will cut taxes on 50 items.") == [
        "SEOUL CUTS TARIFFS FOR U.S..", "South Korea will cut taxes on 50 items."]
    assert split_sentences("Sales in the U.S. rose. The U.S. Army said so.") == [
        "Sales in the U.S. rose.", "The U.S. Army said so."]
