"""The advocate score of an author: pure function over their posts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sentiment.advocates import Post, assess_author, detail
from sentiment.persona import APPROACHES

VALIDATOR = {"educator": 0.1, "validator": 0.7, "connector": 0.1, "builder": 0.05, "none": 0.05}
CONNECTOR = {"educator": 0.05, "validator": 0.2, "connector": 0.7, "builder": 0.05, "none": 0.0}


def day(n: int) -> datetime:
    return datetime(2026, 10, n, 9, tzinfo=UTC)


def post(text: str, n: int = 1, **kw: object) -> Post:
    kw.setdefault("sentiment", "positive")
    kw.setdefault("personas", VALIDATOR)
    return Post(text=text, url=f"https://shop.example/r/{n}", published_at=day(n),
                **kw)  # type: ignore[arg-type]


PRAISE = ("I have had the Acme Phone X for three weeks: the battery lasts two days and the "
          "camera is great in low light. I recommend it.")


def test_repeated_recommending_detailed_author_beats_a_one_off_fan() -> None:
    regular = assess_author([post(PRAISE, 1), post("Still love it, you should try it.", 8),
                             post("强烈推荐，电池续航两天。", 20)])
    one_off = assess_author([post("Nice phone.", 1)])
    assert regular.score > one_off.score + 0.3
    assert regular.distinct_days == 3 and regular.mentions == 3
    assert regular.recommendations == ("I recommend", "you should try", "强烈推荐")
    assert 0 <= one_off.score <= regular.score <= 1


def test_every_signal_is_listed_with_its_contribution() -> None:
    a = assess_author([post(PRAISE, 1, followers=12_000), post(PRAISE + " Again.", 3)])
    text = " | ".join(a.signals)
    for part in ("mentions: 2", "positive 100% (+0.30)", "recommends in 100%: I recommend",
                 "distinct days: 2 (+0.07)", "reach 12000 followers", "persona validator"):
        assert part in text, (part, text)
    assert "battery" in text and "numbers" in text  # the specifics behind the detail score


def test_negated_recommendations_and_negative_history_pull_the_score_down() -> None:
    fan = assess_author([post(PRAISE, 1), post(PRAISE + " Yes.", 2)])
    mixed = assess_author([post(PRAISE, 1),
                           post("Broke in a week. I wouldn't recommend it.", 2,
                                sentiment="negative")])
    assert mixed.recommendations == ("I recommend",)
    assert mixed.score < fan.score * 0.6
    assert any(s.startswith("negative history 50%") for s in mixed.signals)


def test_a_rating_decides_the_tone_before_sentiment() -> None:
    rated_low = assess_author([post(PRAISE, 1, rating=0.25)])  # 2 of 5 stars
    assert rated_low.positive_share == 0 and rated_low.score == 0
    assert assess_author([post(PRAISE, 1, rating=1.0, sentiment="neutral")]).positive_share == 1


def test_replies_to_the_brand_weigh_half() -> None:
    prompted = [post("Nice.", 1, reply_to_brand=True, sentiment="positive"),
                post("Okay I guess.", 2, sentiment="neutral")]
    a = assess_author(prompted)
    assert a.positive_share == pytest.approx(1 / 3, abs=1e-4)  # 0.5 of a post out of 1.5
    assert any(s.startswith("prompted: 1 replies") for s in a.signals)


def test_reach_counts_on_a_log_scale_and_unknown_reach_is_said() -> None:
    small = assess_author([post(PRAISE, 1, followers=100)])
    big = assess_author([post(PRAISE, 1, followers=1_000_000)])
    unknown = assess_author([post(PRAISE, 1)])
    assert unknown.score < small.score < big.score
    assert big.score - unknown.score == pytest.approx(0.15, abs=1e-3)
    assert "reach unknown (+0.00)" in unknown.signals


def test_persona_sums_the_authors_positive_posts_and_brings_its_approach() -> None:
    a = assess_author([post(PRAISE, 1, personas=CONNECTOR), post(PRAISE, 2, personas=CONNECTOR),
                       post(PRAISE, 3, personas=VALIDATOR),
                       post("Awful.", 4, sentiment="negative",
                            personas={"validator": 1.0})])  # negative posts do not count
    assert a.persona == "connector"
    assert a.approach == APPROACHES["connector"]
    assert "cash" not in " ".join(APPROACHES.values()).lower()


def test_evidence_is_up_to_three_urls_recommending_first_never_negative() -> None:
    posts = [post("Fine.", 1), post("Broken.", 2, sentiment="negative"), post(PRAISE, 3),
             post("Good.", 4), post("Great.", 5)]
    a = assess_author(posts)
    assert a.evidence[0] == "https://shop.example/r/3"
    assert len(a.evidence) == 3 and "https://shop.example/r/2" not in a.evidence
    assert a.last_seen == day(5)


def test_detail_counts_length_numbers_and_aspects_in_both_languages() -> None:
    short, _ = detail("Nice.")
    long_en, found = detail(PRAISE)
    long_zh, found_zh = detail("降噪效果非常好，电池续航大概六个小时，充电盒可以无线充电。")
    assert short < 0.1 < long_zh and short < long_en
    assert {"numbers", "battery", "camera"} <= set(found)
    assert {"numbers", "电池", "续航", "降噪"} <= set(found_zh)


def test_no_posts_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one post"):
        assess_author([])
