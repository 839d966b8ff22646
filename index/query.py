"""The search query language, parsed once into an AST that every backend compiles.

    battery life                      both terms (adjacency is AND)
    "battery life"                    the exact phrase
    batt*                             a prefix
    battery NEAR/3 charging           both, in either order, with at most 3 words between
                                      them (NEAR/0: side by side); each side a word or a
                                      "phrase". `a NEAR/2 b NEAR/5 c` is
                                      `(a NEAR/2 b) AND (b NEAR/5 c)`
    电池 OR 電池                       Chinese terms, analysed into bigrams like the text
    battery AND NOT (screen OR -x)    AND, OR, NOT (uppercase) and parentheses
    -spam  -"press release"           exclusion; a query of exclusions alone means
                                      everything except them
    brand:acme  brand:"Acme Corp"     brand, source, author (name or handle): exact,
    source:trustpilot  author:@alice  case-insensitive
    lang:zh                           a language and its variants: zh, zh-Hans, zh-Hant
    title:battery                     a word, phrase (title:"battery life") or prefix
                                      (title:batt*) in the title only
    site:example.com                  mentions from that domain or any of its subdomains
                                      (shop.example.com); a leading www. is ignored
    kind:review                       the record's kind: review, post, comment, article or
                                      ai_answer
    replied:yes  replied:no           whether the brand answered it publicly (a company
                                      reply to a review, a post by a brand account)
    persona:educator                  the author's advocate persona: educator, validator,
                                      connector or builder (any case)
    sentiment:negative                positive, neutral or negative: the overall label (a
                                      review's rating counts; a person's correction wins)
    text_sentiment:negative           the text model's own label, rating and corrections
                                      aside: `rating>=4 text_sentiment:negative` finds
                                      4- and 5-star reviews that complain
    aspect:battery                    mentions that say something about an aspect (its
    aspect:"battery life"             canonical English name, in any language: 电池 is
                                      battery), whatever they say
    aspect:battery:negative           ... that say something negative about it: the
                                      aspect's own polarity, so "great phone, awful
                                      battery" is found. `aspect:battery sentiment:negative`
                                      means the mention's overall label, like any AND
    rating>=4                         ops >= <= > < = on 1..5 stars, any scale read as
                                      stars: rating>=4 takes 4-star reviews and an 8/10
    published:2026-10-01..2026-10-31  UTC dates, both inclusive; either side may be open
                                      (published:2026-10-01..), one date is one day;
                                      an end date is at most 9999-12-30

NEAR binds tighter than NOT, NOT tighter than AND, AND tighter than OR: `a OR b c` is
`a OR (b AND c)`. A word that has no letters or digits (`-`, `&`) is ignored. An empty
query matches everything.
Errors raise `QueryError` with the position and what was expected there.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple, cast, get_args

from index.analyzer import tokens
from index.errors import QueryError
from index.record import SENTIMENT_LABELS, Kind, Persona

__all__ = [
    "And",
    "DateRange",
    "Field",
    "FieldName",
    "MatchAll",
    "Near",
    "Node",
    "Not",
    "Op",
    "Or",
    "Phrase",
    "Term",
    "aspect_keys",
    "conjoin",
    "highlight_terms",
    "parse",
    "positive_leaves",
    "stars_normalized",
]

FieldName = Literal["brand", "source", "author", "lang", "sentiment", "text_sentiment", "aspect",
                    "rating", "published", "title", "site", "kind", "persona", "replied"]
Op = Literal[":", ">=", "<=", ">", "<", "=", ".."]
#: `published` ranges are half-open UTC instants [start, end); None leaves a side open.
DateRange = tuple[datetime | None, datetime | None]

_TEXT_FIELDS: frozenset[str] = frozenset({"brand", "source", "author", "lang"})
_FIELDS: frozenset[str] = frozenset(get_args(FieldName))
_RATING_OPS = (">=", "<=", ">", "<", "=")
#: Field values that must be one of a known few, compared casefolded.
_CHOICES: dict[str, tuple[str, ...]] = {
    "sentiment": SENTIMENT_LABELS,
    "text_sentiment": SENTIMENT_LABELS,
    "kind": tuple(sorted(get_args(Kind))),
    "persona": tuple(sorted(get_args(Persona))),
    "replied": ("no", "yes"),
}
#: The widest NEAR/n: mentions are short, and a wider window is just AND.
MAX_NEAR = 100
# A domain as `source_domain` holds it: dot-separated labels of letters, digits and '-'.
_DOMAIN = re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*")


def aspect_keys(value: str) -> tuple[str, ...]:
    """The stored `Aspect.key`s an `aspect:` filter's value matches: `battery:negative`
    itself, or `battery` with each polarity."""
    name, _, polarity = value.rpartition(":")
    if name and polarity in SENTIMENT_LABELS:
        return (value,)
    return tuple(f"{value}:{label}" for label in SENTIMENT_LABELS)


def stars_normalized(stars: float) -> float:
    """The normalized rating (0..1) that `stars` of 1..5 stand for, as stored (4 decimals):
    `rating>=4` means what a 4-star review normalizes to, (4 - 1) / 4 = 0.75, on any scale
    (an 8 of 0..10 is 0.8: 4.2 stars)."""
    return round((stars - 1) / 4, 4)


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str


@dataclass(frozen=True, slots=True)
class Near:
    """`left` and `right` in either order with at most `distance` words between them."""

    left: Term | Phrase
    right: Term | Phrase
    distance: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class Field:
    """A filter on a record field. `value` is a str for brand, source, author and lang
    (op ':'), a sentiment label for sentiment and text_sentiment (op ':'), an aspect name
    with an optional ':polarity' for aspect (op ':'), 0..5 stars as a float for rating,
    a `DateRange` for published (op '..'), the `Term` or `Phrase` to find for title, a
    lowercase domain for site, a lowercase kind or persona, and "yes" or "no" for replied
    (op ':').

    `author` with op '=' is one author exactly, by its `index.keys.author_key`
    (`domain/who`, as advocate leads tell authors apart). The parser never makes it: the
    API, alerts and triage ask it for the authors of mentions they have read, and the
    backends answer it from an index."""

    name: FieldName
    op: Op
    value: str | float | DateRange | Term | Phrase


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


Node = Term | Phrase | Near | And | Or | Not | Field | MatchAll


def conjoin(nodes: list[Node] | tuple[Node, ...]) -> Node:
    """AND of `nodes`, flattening nested ANDs and dropping MatchAll."""
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, And):
            flat.extend(node.children)
        elif not isinstance(node, MatchAll):
            flat.append(node)
    if not flat:
        return MatchAll()
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _disjoin(nodes: list[Node]) -> Node:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.children if isinstance(node, Or) else (node,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def positive_leaves(node: Node) -> tuple[Term | Phrase, ...]:
    """The terms and phrases a match may contain, i.e. those not under a NOT: what
    relevance ranks by and highlighting marks."""
    match node:
        case Term() | Phrase():
            return (node,)
        case Near(left, right):
            return (left, right)
        case And(children) | Or(children):
            return tuple(leaf for child in children for leaf in positive_leaves(child))
        case _:
            return ()


def highlight_terms(node: Node) -> tuple[str, ...]:
    """`positive_leaves` in `index.analyzer.highlight`'s form (a prefix ends in '*', a
    phrase is quoted)."""
    return tuple(
        f'"{leaf.text}"' if isinstance(leaf, Phrase)
        else f"{leaf.text}*" if leaf.prefix else leaf.text
        for leaf in positive_leaves(node)
    )


# --- lexer ---------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "(", ")", "AND", "OR", "NOT" (also "-"), "NEAR", "LEAF" or "END"
    position: int
    text: str
    node: Node | None = None


_FIELD = re.compile(r"([A-Za-z_]+)(>=|<=|:|>|<|=)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OPERATORS = ("AND", "OR", "NOT")
# Bounds that keep a hostile or runaway query a QueryError rather than a RecursionError
# or an expression too deep for the backend.
_MAX_TOKENS = 256
_MAX_DEPTH = 32


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def error(self, position: int, expected: str, found: str | None = None) -> QueryError:
        before = self.text[:position].strip()
        after = before if len(before) <= 30 else "…" + before[-29:]
        return QueryError(position, expected, found=found, after=after)

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while True:
            while self.at < len(self.text) and self.text[self.at].isspace():
                self.at += 1
            if self.at == len(self.text):
                return [*out, _Token("END", self.at, "")]
            token = self.next()
            if token is not None:
                out.append(token)
            if len(out) > _MAX_TOKENS:
                raise self.error(token.position if token else self.at,
                                 f"at most {_MAX_TOKENS} terms and operators")

    def bare(self, start: int) -> str:
        """The unquoted word at `start`: up to whitespace, a parenthesis or a quote."""
        end = start
        while end < len(self.text) and not (self.text[end].isspace() or self.text[end] in '()"'):
            end += 1
        return self.text[start:end]

    def next(self) -> _Token | None:
        """The token at `self.at`, or None for a word without letters or digits."""
        start, char = self.at, self.text[self.at]
        following = self.text[start + 1 : start + 2]
        if char in "()":
            self.at += 1
            return _Token(char, start, char)
        if char == "-" and following and not following.isspace() and following != ")":
            self.at += 1
            return _Token("NOT", start, char)
        if char == '"':
            phrase = self.quoted()
            return _Token("LEAF", start, phrase, Phrase(phrase)) if tokens(phrase) else None
        field = _FIELD.match(self.text, start)
        # `foo:bar` is a mistyped field; `x>5` is just text unless x is a field.
        if field and (field[2] == ":" or field[1].lower() in _FIELDS):
            return self.field(field)
        word = self.bare(start)
        self.at += len(word)
        if word in _OPERATORS:
            return _Token(word, start, word)
        if word.startswith("NEAR") and word[4:5] in ("", "/"):
            return self.near(word, start)
        text = word.rstrip("*")
        leaf = Term(text, prefix=text != word)
        return _Token("LEAF", start, word, leaf) if tokens(text) else None

    def near(self, word: str, start: int) -> _Token:
        """`NEAR/n`, its distance n in the token's node-less text (`NEAR` alone is an
        error: FTS5's default of 10 words would be a guess at what was meant)."""
        most = f"the most words between the two, 0 to {MAX_NEAR}"
        if word == "NEAR":
            raise self.error(start, f"NEAR/n, n {most}", found=word)
        distance = word[5:]
        if not (distance.isascii() and distance.isdigit() and int(distance) <= MAX_NEAR):
            raise self.error(start + 5, most + ",", found=distance or None)
        return _Token("NEAR", start, word)

    def quoted(self) -> str:
        end = self.text.find('"', self.at + 1)
        if end == -1:
            raise self.error(len(self.text), "a closing '\"'")
        value = self.text[self.at + 1 : end]
        self.at = end + 1
        return value

    def field(self, match: re.Match[str]) -> _Token:
        start, name, op = self.at, match[1].lower(), match[2]
        if name not in _FIELDS:
            raise self.error(start, f"a field name ({', '.join(sorted(_FIELDS))})", found=match[1])
        allowed = _RATING_OPS if name == "rating" else (":",)
        if op not in allowed:
            raise self.error(match.start(2), f"one of {' '.join(allowed)}", found=op)
        self.at = value_at = match.end()
        if self.text.startswith('"', value_at):
            raw = self.quoted()
            if name == "aspect" and self.text.startswith(":", self.at):  # "battery life":negative
                suffix = self.bare(self.at)
                raw += suffix
                self.at += len(suffix)
        else:
            raw = self.bare(value_at)
            self.at += len(raw)
        if not raw.strip():
            raise self.error(value_at, "a value")
        node = self.field_node(cast(FieldName, name), cast(Op, op), raw.strip(), value_at)
        return _Token("LEAF", start, self.text[start : self.at], node)

    def field_node(self, name: FieldName, op: Op, raw: str, at: int) -> Field:
        if name in _TEXT_FIELDS:
            return Field(name, op, raw)
        if name in _CHOICES:
            return Field(name, op, self.choice(name, raw, at))
        if name == "title":
            return Field(name, op, self.title(raw, at))
        if name == "site":
            return Field(name, op, self.site(raw, at))
        if name == "aspect":
            return Field(name, op, self.aspect(raw, at))
        if name == "rating":
            if not (_NUMBER.fullmatch(raw) and 1 <= float(raw) <= 5):
                raise self.error(at, "a rating from 1 to 5", found=raw)
            return Field(name, op, float(raw))
        return Field(name, "..", self.date_range(raw, at))

    def choice(self, name: str, raw: str, at: int) -> str:
        choices = _CHOICES[name]
        if raw.casefold() not in choices:
            raise self.error(at, f"{', '.join(choices[:-1])} or {choices[-1]}", found=raw)
        return raw.casefold()

    def title(self, raw: str, at: int) -> Term | Phrase:
        """`title:battery`, `title:batt*` or `title:"battery life"`: what to find, as a
        query leaf (a quoted value is a phrase)."""
        if self.text[at] == '"':
            leaf: Term | Phrase = Phrase(raw)
        else:
            text = raw.rstrip("*")
            leaf = Term(text, prefix=text != raw)
        if not tokens(leaf.text):
            raise self.error(at, "a word with letters or digits", found=raw)
        return leaf

    def site(self, raw: str, at: int) -> str:
        """A domain as stored: casefolded, without a leading `www.` or a trailing dot."""
        domain = raw.casefold().removeprefix("www.").removesuffix(".")
        if not _DOMAIN.fullmatch(domain):
            raise self.error(at, "a domain such as example.com", found=raw)
        return domain

    def aspect(self, raw: str, at: int) -> str:
        """`battery` or `battery:negative`, as stored: lowercase, one ':' at most."""
        value = " ".join(raw.casefold().split())
        name, colon, polarity = value.rpartition(":")
        if colon and (not name or ":" in name or polarity not in SENTIMENT_LABELS):
            raise self.error(at, "an aspect name, optionally with :positive, :neutral or "
                             ":negative", found=raw)
        return value

    def date_range(self, raw: str, at: int) -> DateRange:
        first, dots, last = raw.partition("..")
        last_at = at + len(first) + len(dots)
        if not dots:
            last, last_at = first, at  # one date is that whole day
        if not (first or last):
            raise self.error(at, "a date as YYYY-MM-DD on at least one side of '..'")
        start = self.day(first, at)
        end = self.day(last, last_at)
        if start and end and start > end:
            raise self.error(at, "a start date on or before the end date", found=raw)
        if end == date.max:
            # The range ends where the next day starts, and datetime has no year 10000.
            raise self.error(last_at, f"an end date before {date.max.isoformat()}", found=last)
        return (
            datetime.combine(start, time(), UTC) if start else None,
            datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        )

    def day(self, raw: str, at: int) -> date | None:
        if not raw:
            return None
        if _DATE.fullmatch(raw):
            with suppress(ValueError):  # 2026-13-01 is shaped right but is no date
                return date.fromisoformat(raw)
        raise self.error(at, "a date as YYYY-MM-DD", found=raw)


# --- parser --------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the grammar

        query   := or END
        or      := and ("OR" and)*
        and     := unary ("AND"? unary)*
        unary   := ("NOT" | "-") unary | primary
        primary := "(" or ")" | near | field
        near    := text ("NEAR/n" text)*
        text    := term | phrase
    """

    def __init__(self, lexer: _Lexer) -> None:
        self.lexer = lexer
        self.tokens = lexer.tokens()
        self.at = 0
        self.depth = 0  # of open parentheses

    @property
    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def error(self, expected: str) -> QueryError:
        token = self.peek
        found = token.text if token.kind != "END" else None
        return self.lexer.error(token.position, expected, found)

    def query(self) -> Node:
        if self.peek.kind == "END":
            return MatchAll()
        node = self.or_()
        if self.peek.kind == ")":
            raise self.error("a term, an operator or the end of the query")
        if self.peek.kind == "NEAR":  # after a group or a field: NEAR takes neither
            raise self.error(f'a word or a "phrase" on each side of {self.peek.text}')
        return node

    def or_(self) -> Node:
        children = [self.and_()]
        while self.peek.kind == "OR":
            self.take()
            children.append(self.and_())
        return _disjoin(children)

    def and_(self) -> Node:
        children = [self.unary()]
        while self.peek.kind in ("AND", "NOT", "LEAF", "("):
            if self.peek.kind == "AND":
                self.take()
            children.append(self.unary())
        return conjoin(children)

    def unary(self) -> Node:
        negated = False
        while self.peek.kind == "NOT":
            self.take()
            negated = not negated
        node = self.primary()
        if not negated:
            return node
        return node.child if isinstance(node, Not) else Not(node)

    def primary(self) -> Node:
        token = self.peek
        if token.kind == "LEAF" and token.node is not None:
            self.take()
            return self.near(token) if self.peek.kind == "NEAR" else token.node
        if token.kind == "(":
            if self.depth == _MAX_DEPTH:
                raise self.error(f"at most {_MAX_DEPTH} nested parentheses")
            self.take()
            self.depth += 1
            node = self.or_()
            if self.peek.kind != ")":
                raise self.error("')'")
            self.take()
            self.depth -= 1
            return node
        raise self.error("a search term")

    def near(self, first: _Token) -> Node:
        """`first` and what follows it joined by NEAR/n: each NEAR relates the words or
        phrases on either side of it."""
        nears: list[Node] = []
        left = self.proximate(first, self.peek)
        while self.peek.kind == "NEAR":
            operator = self.take()
            right = self.proximate(self.peek, operator)
            self.take()
            nears.append(Near(left, right, int(operator.text[5:])))
            left = right
        return conjoin(nears)

    def proximate(self, token: _Token, operator: _Token) -> Term | Phrase:
        """The word or phrase of `token`, which stands beside `operator` (a NEAR); a
        prefix is refused, as Elasticsearch refuses one that expands to over 128 words."""
        node = token.node
        if isinstance(node, Phrase) or (isinstance(node, Term) and not node.prefix):
            return node
        what = "a whole word, not a prefix," if isinstance(node, Term) else 'a word or a "phrase"'
        found = token.text if token.kind != "END" else None
        raise self.lexer.error(token.position, f"{what} on each side of {operator.text}", found)


def parse(text: str) -> Node:
    """Parse a user's query into an AST; raises QueryError when it is malformed."""
    return _Parser(_Lexer(text)).query()
