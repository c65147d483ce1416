from __future__ import annotations

from bot.ingest.chunk import chunk_text, split_sentences
from bot.ingest.clean import clean_body
from bot.ingest.textfile import parse_text_article
from bot.llm.tokens import count_tokens, get_encoding


def test_offline_encoding_is_available() -> None:
    assert get_encoding().name.startswith("cl100k_base")
    assert count_tokens("Japan approved photoresist") > 2


def test_sentences_do_not_split_on_abbreviations() -> None:
    text = "Samsung Electronics Co. Ltd. said on Friday that Mr. Lee agreed. The U.S. said nothing."
    assert split_sentences(text) == [
        "Samsung Electronics Co. Ltd. said on Friday that Mr. Lee agreed.",
        "The U.S. said nothing.",
    ]


def test_passages_respect_the_token_budget_and_sentence_boundaries() -> None:
    sentences = [f"Sentence number {i} talks about chip materials and export licences." for i in range(60)]
    passages = chunk_text(" ".join(sentences), max_tokens=50)
    assert len(passages) > 5
    assert all(p.tokens <= 50 for p in passages)
    assert all(p.text.endswith(".") for p in passages)
    assert " ".join(p.text for p in passages) == " ".join(sentences)
    assert [p.position for p in passages] == list(range(len(passages)))


def test_an_overlong_sentence_is_cut_rather_than_kept_whole() -> None:
    passages = chunk_text("word " * 1000, max_tokens=100)
    assert len(passages) >= 9 and all(p.tokens <= 100 for p in passages)


def test_cleaning_drops_furniture_and_keeps_credits_as_metadata() -> None:
    raw = """By Jane Smith

The ministry approved the shipment on Thursday.

Share this article
Follow us on Twitter
Most popular
Ten gadgets for school
Why tuna prices rise

Photo: A worker at the plant (Briefbot Wire/File)
Reporting by Kim Lee; Editing by Tom Hay
The talks will resume next week."""
    cleaned = clean_body(raw)
    assert cleaned.author == "Jane Smith"
    assert "Share this" not in cleaned.body and "Follow us" not in cleaned.body
    assert "gadgets" not in cleaned.body and "tuna" not in cleaned.body
    assert cleaned.captions and "worker at the plant" in cleaned.captions[0]
    assert cleaned.credits == ["Reporting by Kim Lee; Editing by Tom Hay"]
    assert "approved the shipment" in cleaned.body and "talks will resume" in cleaned.body


def test_dateline_gives_place_and_source() -> None:
    article = parse_text_article("Title here\n\nSEOUL, July 4 (Reuters) – The bank cut rates.", "x.txt")
    assert article.title == "Title here"
    assert article.place == "Seoul" and article.source == "Reuters"
    assert article.body == "The bank cut rates."


def test_a_byline_at_the_end_is_metadata_too() -> None:
    cleaned = clean_body("The talks ended without a deal.\n\nBy Daniel Okafor")
    assert cleaned.author == "Daniel Okafor"
    assert cleaned.body == "The talks ended without a deal."
