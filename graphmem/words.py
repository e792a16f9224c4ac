"""Words of queries and facts: tokens, stop words, stems, the words that describe a relation.

Shared by recall (cue words of a query), relation matching and the fulltext reads, so the
three agree on what a word is and which words say nothing.
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from graphmem.models import entity_key

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)
_POSSESSIVE_S = re.compile(r"['\u2019]s$")  # "Alice's" -> "alice"
MAX_NAME_WORDS = 4  # the longest entity name a query is searched for, in words
MAX_NAME_KEYS = 512
_EDGE_PUNCTUATION = string.punctuation + "\u2018\u2019\u201c\u201d\u00bf\u00a1"
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself"})
# Starts each fact's words in a relation type's vocabulary (RelationWords.words): not a word
# any text yields, so shares can be counted per fact.
FACT_BOUNDARY = "|"
# Function words, question words, auxiliaries and pronouns: they say how a question is
# asked, not what it is about, and would match every relation ("of" ~ SISTER_OF).
_STOPWORD_TEXT = (
    "a about above after again against all also am an and any are as at be because been "
    "before being below between both but by can could did do does doing done down during "
    "each either else ever every few for from further get gets got had has have having he "
    "her here hers herself him himself his how however i if in into is it its itself just "
    "let me might mine more most much must my myself neither no nor not now of "
    "off on once one only or other our ours ourselves out over own please same shall she "
    "should so some such tell than that the their theirs them themselves then there these "
    "they this those through to too under until up upon us very was we were what whatever "
    "when where whereas wherever whether which while who whoever whom whose why will with "
    "within without would yes yet you your yours yourself yourselves"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_STEMMER = snowballstemmer.stemmer("english")
_STEM_LOCK = threading.Lock()  # snowballstemmer's stemmer objects keep state per call


def words(text: str) -> list[str]:
    """Lower-case words of `text`, a possessive 's dropped ("Alice's" -> "alice")."""
    found = _WORD.findall(entity_key(text))
    return [_POSSESSIVE_S.sub("", w) for w in found]


def says_first_person(text: str) -> bool:
    """True when the text speaks of the speaker: I, me, my, mine, myself."""
    return any(w in FIRST_PERSON for w in words(text))


def content_words(text: str, names: Iterable[str] = ()) -> list[str]:
    """The words of `text` that are neither stop words nor words of `names`, in order."""
    named = {w for name in names for w in words(name)}
    out = [w for w in words(text) if w not in STOPWORDS and w not in named and len(w) > 1]
    return list(dict.fromkeys(out))


def relation_words(text: str, source: str, target: str) -> list[str]:
    """What a fact adds to its relation type's vocabulary (RelationWords.words): a
    FACT_BOUNDARY, then the fact's content words that name neither end ("boss" from "Bob
    is Alice's boss" for Bob -MANAGES-> Alice)."""
    return [FACT_BOUNDARY, *content_words(text, (source, target))]


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    with _STEM_LOCK:
        return str(_STEMMER.stemWord(word))


POSSESSIVE_DETERMINERS = frozenset({"my", "your", "his", "her", "its", "our", "their"})
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Cue:
    """A content word of a query that names no entity it mentions."""

    word: str
    possessed: bool  # it follows a possessive: "Alice's sister", "my wife"
    rank: int  # where it is expected along a path out of the anchor (0 first)


def cues(query: str, names: Iterable[str] = ()) -> list[Cue]:
    """The query's cue words, repeats kept ("my boss's boss"), each with the place English
    word order suggests for it along a path out of the entity the query names:

    1. the possessive chain after the anchor, in order: "Alice's boss's wife" -> boss, wife;
    2. words before the anchor, nearest first: "the brother of Alice's boss" -> brother
       after boss;
    3. the other words after the anchor, in order (the verb: "... live?").

    The anchor is where the first of `names` (or the first I / me / my) stands; with none,
    words keep their order."""
    tokens = _TOKEN.findall(entity_key(query))
    bare = [_POSSESSIVE_S.sub("", t) for t in tokens]
    named = {w for name in names for w in words(name)}
    anchor = next((i for i, w in enumerate(bare) if w in named or w in FIRST_PERSON), len(bare))
    found: list[tuple[int, str, bool]] = []
    for i, word in enumerate(bare):
        if word in STOPWORDS or word in named or len(word) < 2:
            continue
        before = tokens[i - 1] if i else ""
        possessed = before != bare[i - 1] or bare[i - 1] in POSSESSIVE_DETERMINERS if i else False
        found.append((i, word, possessed))
    chain = [f for f in found if f[0] > anchor and f[2]]
    ahead = sorted((f for f in found if f[0] < anchor), key=lambda f: -f[0])
    rest = [f for f in found if f[0] > anchor and not f[2]]
    order = {f[0]: rank for rank, f in enumerate([*chain, *ahead, *rest])}
    return [Cue(word, possessed, order[i]) for i, word, possessed in found]


def name_keys(text: str) -> list[str]:
    """Entity keys (models.entity_key) the text may name: each run of up to
    MAX_NAME_WORDS words, as written and with edge punctuation stripped, then with a
    possessive 's or a plural -s dropped ("Where does Alice's sister live?" -> ...,
    "alice", "alice's sister", ...). At most MAX_NAME_KEYS, first words first."""
    tokens = entity_key(text).split()
    keys: dict[str, None] = {}
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + MAX_NAME_WORDS, len(tokens)) + 1):
            span = tokens[start:end]
            bare = [t.strip(_EDGE_PUNCTUATION) for t in span]
            for words in (span, [*span[:-1], bare[-1]], bare):
                phrase = " ".join(w for w in words if w)
                for key in (phrase, _singular(phrase)):
                    if key:
                        keys[key] = None
    return list(keys)[:MAX_NAME_KEYS]


def _singular(phrase: str) -> str:
    for suffix in ("'s", "\u2019s"):
        if phrase.endswith(suffix):
            return phrase[: -len(suffix)]
    # A crude plural/verb -s: "Smiths" -> "smith"; names are looked up, not words.
    if len(phrase) > 3 and phrase.endswith("s") and not phrase.endswith("ss"):
        return phrase[:-1]
    return phrase
