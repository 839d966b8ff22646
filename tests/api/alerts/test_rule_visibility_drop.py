"""The visibility-drop rule: a brand named in fewer runs of a prompt, or further down the
answers, is flagged only when the test says it is not run-to-run noise; the alert carries
the figures of both periods and answers from before and after. Real answers in a real
SQLite file for the dry run and the runner."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.alerts.config import ConfiguredRule
from api.alerts.rules import Mentions, VisibilityDrop, VisibilityDropOptions, reading
from api.alerts.runner import AlertRunner
from api.alerts.significance import rank_rise, share_drop
from api.alerts.state import AlertState
from api.cli import main
from index.record import Author, Mention, NamedBrand
from index.sqlite import SqliteStore

NOW = datetime(2026, 10, 29, 12, 30, tzinfo=UTC)
PROMPT = "best wireless earbuds?"
ENGINE = "testgpt:gpt-test"


def rule(**options: object) -> VisibilityDrop:
    return VisibilityDrop(VisibilityDropOptions(name="acme-ai", **options))  # type: ignore[arg-type]


def answer(n: int, at: datetime, position: int | None, *, brand: str = "Acme",
           prompt: str = PROMPT) -> Mention:
    """An answer asked for `brand`, naming Acme at `position` (None: leaving it out)."""
    named = [NamedBrand("Zephyr", 1, "Zephyr is a safe pick.")]
    if position is not None:
        named.insert(position - 1, NamedBrand("Acme", position, f"Acme Buds, run {n}."))
        named = [NamedBrand(b.name, i, b.excerpt) for i, b in enumerate(named, start=1)]
    return Mention.create(
        source=ENGINE, native_id=f"{brand}{prompt}{n}", kind="ai_answer",
        url="http://127.0.0.1:9/v1/chat/completions",
        text=f"Answer {n}: " + ", ".join(b.name for b in named), author=Author("testgpt"),
        published_at=at, title=prompt, brand=brand, named=tuple(named))


def runs(first: int, end: datetime, days: int, positions: list[int | None],
         **kwargs: object) -> list[Mention]:
    """One answer per position, spread evenly over the `days` before `end`."""
    step = timedelta(days=days) / len(positions)
    return [answer(first + i, end - timedelta(days=days) + i * step + timedelta(minutes=1),
                   position, **kwargs)  # type: ignore[arg-type]
            for i, position in enumerate(positions)]


def period(end: datetime, *, before: list[int | None], after: list[int | None],
           **kwargs: object) -> list[Mention]:
    """`before` over the 14 days up to a week before `end`, `after` over that week."""
    week = end - timedelta(days=7)
    return [*runs(0, week, 14, before, **kwargs), *runs(1000, end, 7, after, **kwargs)]


def judge(answers: list[Mention], **options: object) -> list:
    # Judged since the hour before: the read reaches the rule's 21 days of history back.
    return rule(**options).evaluate(Mentions("Acme", "brand", answers),
                                    NOW - timedelta(hours=1), NOW)


END = NOW.replace(minute=0) + timedelta(hours=1)  # the end of the hour being filled


def test_the_tests_agree_with_their_textbook_values() -> None:
    # 15 of 20 against 2 of 20: z = -4.16 (pooled), one-sided p = 1.6e-5.
    drop = share_drop(15, 20, 2, 20)
    assert drop.z == pytest.approx(-4.158, abs=1e-3) and drop.p == pytest.approx(1.605e-5,
                                                                                  rel=1e-3)
    assert share_drop(3, 5, 2, 5).p == pytest.approx(0.2635, abs=1e-4)  # noise
    assert share_drop(5, 5, 5, 5).p == 1.0  # no change at all
    rise = rank_rise(Counter([1, 1, 2, 1, 1, 2]), Counter([3, 3, 2, 4, 3, 3]))
    assert rise.p == pytest.approx(0.002886, rel=1e-3)  # scipy's mannwhitneyu, asymptotic
    assert rank_rise(Counter([1] * 5), Counter([1] * 5)).p == 1.0


def test_the_rank_test_matches_scipy_where_it_is_installed() -> None:
    stats = pytest.importorskip("scipy.stats")
    before, after = [1, 2, 1, 1, 3, 2, 1, 2], [2, 3, 3, 1, 4, 2, 3]
    expected = stats.mannwhitneyu(after, before, alternative="greater", method="asymptotic")
    assert rank_rise(Counter(before), Counter(after)).p == pytest.approx(expected.pvalue, rel=1e-9)


def test_a_real_drop_in_share_is_flagged_with_answers_before_and_after() -> None:
    before = [1] * 15 + [None] * 5  # named in 15 of 20 runs
    after = [None] * 18 + [2] * 2  # in 2 of 20
    (alert,) = judge(period(END, before=before, after=after))
    assert (alert.window_start, alert.window_end) == (END - timedelta(days=7), END)
    assert alert.baseline_start == END - timedelta(days=21)
    assert (alert.observed, alert.baseline, alert.z) == (0.1, 0.75, -4.16)
    assert reading(alert) == "named in 10% of runs over 7 days vs 75% the 14 days before (z -4.2)"
    assert alert.summary == (
        "Acme: named in 2 of 20 runs (10%), was 15 of 20 (75%) for 'best wireless earbuds?' "
        "on testgpt:gpt-test (two-proportion z -4.16, p 2e-05)")
    (drop,) = alert.details["drops"]
    assert (drop["measure"], drop["test"]) == ("share", "two-proportion z")
    assert drop["before"]["share_interval"] == [pytest.approx(0.5313, abs=1e-4),
                                                pytest.approx(0.8881, abs=1e-4)]
    assert [e["position"] for e in drop["examples_before"]] == [1, 1]
    assert [e["position"] for e in drop["examples_after"]] == [None, None]
    assert drop["examples_before"][0]["text"].startswith("Acme Buds, run")
    assert drop["examples_after"][0]["text"].startswith("Answer 10")  # the latest first


@pytest.mark.parametrize(("before", "after"), [
    ([1] * 12 + [None] * 8, [1] * 9 + [None] * 11),  # 60% to 45%: p 0.17, noise
    ([1] * 5, [None] * 5),  # all to nothing, but 5 runs each: under min_runs
])
def test_noise_or_too_few_runs_never_fire(before: list[int | None],
                                          after: list[int | None]) -> None:
    assert judge(period(END, before=before, after=after)) == []


def test_a_significant_but_small_drop_needs_min_drop() -> None:
    before, after = [1] * 190 + [None] * 10, [1] * 170 + [None] * 30  # 95% to 85%
    assert judge(period(END, before=before, after=after), min_drop=0.2) == []
    assert len(judge(period(END, before=before, after=after), min_drop=0.05)) == 1


def test_a_real_drop_in_position_is_flagged_by_the_rank_test() -> None:
    before = [1, 1, 2, 1, 1, 2, 1, 1, 1, 2]  # always named, mostly first
    after = [2, 2, 2, 2, 2, 2, 2, 2, 1, 2]  # always named, now behind Zephyr
    (alert,) = judge(period(END, before=before, after=after))
    (drop,) = alert.details["drops"]
    assert (drop["measure"], drop["test"]) == ("position", "Mann-Whitney U")
    assert drop["before"]["mean_position"] == 1.3 and drop["after"]["mean_position"] == 1.9
    assert (alert.observed, alert.baseline) == (1.9, 1.3)
    assert reading(alert) == "mean position 1.9 over 7 days vs 1.3 the 14 days before (z 2.6)"
    assert drop["p"] < 0.01
    assert alert.summary.startswith("Acme: mean position 1.9, was 1.3 for 'best wireless")
    assert [e["position"] for e in drop["examples_after"]] == [2, 2]
    assert [e["position"] for e in drop["examples_before"]] == [1, 1]


def test_positions_shuffling_is_noise() -> None:
    assert judge(period(END, before=[1, 2] * 5, after=[2, 1] * 5)) == []


def test_only_the_brands_own_answers_count_each_prompt_on_its_own() -> None:
    dropped = period(END, before=[1] * 20, after=[None] * 20)
    steady = period(END, before=[1] * 20, after=[1] * 20, prompt="earbuds for running?")
    other = period(END, before=[None] * 20, after=[None] * 20, brand="Zephyr")
    (alert,) = judge([*dropped, *steady, *other])
    assert [d["prompt"] for d in alert.details["drops"]] == [PROMPT]


def test_a_lasting_drop_alerts_once_then_not_within_the_cooldown() -> None:
    # The drop began 10 days ago and goes on: every daily judgment since holds it.
    before = runs(0, NOW - timedelta(days=10), 20, [1] * 40)
    after = runs(1000, END, 10, [None] * 30)
    alerts = rule().evaluate(Mentions("Acme", "brand", [*before, *after]),
                             NOW - timedelta(days=9), NOW)
    assert len(alerts) == 1
    assert alerts[0].window_end < END  # found on an earlier day, not again since


WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[alerts]]
name = "acme-ai"
type = "visibility_drop"
window_days = 7
baseline_days = 14
"""


def seeded(tmp_path: Path, now: datetime) -> tuple[Path, Path]:
    db, watchlist = tmp_path / "m.db", tmp_path / "mentionwatch.toml"
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with SqliteStore(db) as store:  # the drop shows in the last day's runs
        store.upsert([*runs(0, end - timedelta(days=7), 14, [1] * 15 + [None] * 5),
                      *runs(1000, end - timedelta(hours=2), 1, [None] * 18 + [2] * 2)])
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    return db, watchlist


def test_alerts_test_dry_runs_the_rule_on_stored_answers(tmp_path: Path) -> None:
    db, watchlist = seeded(tmp_path, datetime.now(UTC))
    result = CliRunner().invoke(main, ["alerts", "test", "acme-ai", "--since", "1d", "--db",
                                       str(db), "--watchlist", str(watchlist)])
    assert result.exit_code == 0, result.output
    (shown,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (shown["type"], shown["subject"]) == ("visibility_drop", "Acme")
    assert shown["details"]["drops"][0]["after"]["named"] == 2
    explanation = shown["explanation"]
    assert explanation["top_sources"] == [[ENGINE, 1]]
    texts = [e["text"] for e in explanation["examples"]]
    assert texts[0].startswith("after: Answer") and texts[-1].startswith("before: Acme Buds")
    state = AlertState(db)
    assert state.history() == []  # a dry run keeps nothing
    state.close()


def test_the_runner_raises_it_once(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    db, _ = seeded(tmp_path, now)
    configured = ConfiguredRule(rule=rule(), by="brand", brands=("Acme",))
    with SqliteStore(db) as store:
        state = AlertState(db)
        runner = AlertRunner(store, state, [configured])
        first = runner.run_once(now)
        assert [a["summary"][:30] for a in first.raised] == ["Acme: named in 2 of 20 runs (1"]
        assert runner.run_once(now + timedelta(hours=3)).raised == []
        assert [a.alert["rule"] for a in state.history()] == ["acme-ai"]
        state.close()


def simulated(rng: random.Random, shares: list[tuple[float, float]]) -> list[Mention]:
    """5 runs a day for 21 days of one prompt per (share before, share in the last week)."""
    found = []
    for p, (before, after) in enumerate(shares):
        for run in range(105):
            at = END - timedelta(days=21) + run * timedelta(hours=4, minutes=48)
            share = after if at >= END - timedelta(days=7) else before
            found.append(answer(run, at, 1 if rng.random() < share else None,
                                prompt=f"prompt {p}"))
    return found


def test_noise_alone_rarely_alerts_and_a_real_drop_mostly_does() -> None:
    """Seeded simulations of a brand with four prompts named in 60% of runs: with no
    change, at most about `p` (1%) of brands alert, whatever the number of prompts
    (Bonferroni; 0 of these 100); when one prompt falls to 20% in the last week, most do
    (86 of 100: with 35 runs a week a drop of 40 points is sometimes hidden by noise)."""
    rng = random.Random(15)
    stable = sum(bool(judge(simulated(rng, [(0.6, 0.6)] * 4))) for _ in range(100))
    assert stable <= 3
    dropped = sum(bool(judge(simulated(rng, [(0.6, 0.6)] * 3 + [(0.6, 0.2)])))
                  for _ in range(100))
    assert dropped >= 80
