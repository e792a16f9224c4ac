"""Which relations a query asks for, by meaning: cue words matched to relation types and to
the words of the facts behind relations. No LLM, no list of role words.

A query's cue words are its content words that do not name an entity it mentions: in
"Where does Alice Moreau's sister live?" they are "sister" and "live". A relation is
described by its type's name ("SISTER_OF" reads "sister of", "sister"), by the agent noun
of a verb in it ("SUPERVISES": "supervisor", which "boss" is near) and by the words
the scope's facts commonly use for that type, less the names of the relation's two ends
(RelationWords: "boss", "manager" for MANAGES when the facts say "Alice's boss is Bob" or
"Bob is Alice's manager"). A cue matches a description by stem
(Snowball: "lives" / "live", "employs" / "employer") or by the cosine of their embeddings
with the memory's own embedder ("wife" ~ "married" 0.84, "dog" ~ "pet" 0.80), so role nouns
and synonyms find the types and phrasings a scope actually has, in either direction of the
relation; function words never match because they are never cues. Words that name a kind
of thing ("company", "city") are matched the same way against entity type labels.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np

from graphmem.embed import Embedder
from graphmem.words import FACT_BOUNDARY, content_words, stem

# A word the scope's facts use for a relation type describes it when at least
# VOCABULARY_SHARE of the type's facts use it (a phrasing used for every fifth fact
# qualifies; the varied words of a generic type like MENTIONS or RELATED_TO do not, so
# they can never make a path out of a coincidence of words), and at most VOCABULARY_SIZE.
VOCABULARY_SIZE = 12
VOCABULARY_SHARE = 0.15
VOCABULARY_MIN_FACTS = 2


def relation_phrase(relation_type: str) -> str:
    """How a relation type reads: "SISTER_OF" -> "sister of"."""
    return relation_type.replace("_", " ").lower().strip()


def label_phrase(label: str) -> str:
    """How an entity type label reads: "ProgrammingLanguage" -> "programming language"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", label).lower().strip()


def type_descriptions(relation_type: str, used_words: Sequence[str] = ()) -> list[str]:
    """What describes a type: its name's phrase and content words ("sister of", "sister"),
    the agent nouns of its verbs ("SUPERVISES" -> "supervisor"), then the words the
    scope's facts commonly use for it (`used_words` as RelationWords keeps them: each
    fact's words after a FACT_BOUNDARY)."""
    phrase = relation_phrase(relation_type)
    named = content_words(phrase)
    facts = _facts(used_words)
    counts = Counter(w for fact in facts for w in fact)
    least = max(VOCABULARY_MIN_FACTS, VOCABULARY_SHARE * len(facts))
    common = [w for w, n in counts.most_common(VOCABULARY_SIZE) if n >= least]
    agents = [noun for word in named for noun in agent_nouns(word)]
    return list(dict.fromkeys([phrase, *named, *agents, *common]))


def agent_nouns(verb: str) -> list[str]:
    """Who does what a verb form says: "manages" -> "manager", "supervises" -> "supervisor",
    "owns" -> "owner", "founded" -> "founder". Role questions ask for the agent ("Alice's
    boss", "the owner of Rex") while types are named by the verb, and the agent noun is
    what carries the role's meaning ("boss" ~ "supervisor" 0.67, ~ "supervises" 0.46 with
    all-MiniLM-L6-v2). English spells it -er or -or with no rule to choose, so both are
    made; the one that is no word matches nothing (a description scores its best form).
    Not a verb form (no -s / -ed ending): none."""
    if len(verb) < 4 or verb.endswith(("ss", "us", "is")):
        return []
    if verb.endswith(("shes", "ches", "xes", "zes")):
        base = verb[:-2]
    elif verb.endswith("s"):
        base = verb[:-1]
    elif verb.endswith("ed"):
        base = verb[:-2]
    else:
        return []
    if base.endswith("e"):
        return [base + "r", base[:-1] + "or"]
    return [base + "er", base + "or"]


def _facts(used_words: Sequence[str]) -> list[set[str]]:
    """The distinct words of each fact in a RelationWords window (a window may start
    inside a fact: that partial fact counts as one)."""
    facts: list[set[str]] = []
    for word in used_words:
        if word == FACT_BOUNDARY or not facts:
            facts.append(set())
        if word != FACT_BOUNDARY:
            facts[-1].add(word)
    return facts


T = TypeVar("T")


class CueMatcher:
    """Cosine (or stem equality) between cue words and short descriptions.

    Word vectors come from the memory's embedder and are kept in a bounded LRU cache: a
    scope's cue words and relation words repeat from search to search, so after the first
    searches most of them cost nothing. What a scope's words can match is cached too, per
    scope version (described).
    """

    def __init__(self, embedder: Embedder, cache_size: int = 8192, scopes: int = 256) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._scopes = scopes
        self._described: OrderedDict[Hashable, Any] = OrderedDict()

    def described(self, version: Hashable, derive: Callable[[], T]) -> T:
        """What a scope's words can be matched against, derived once per scope version
        (its keys and write counts: any write changes it) and kept for the last `scopes`
        scopes searched."""
        with self._lock:
            if version in self._described:
                self._described.move_to_end(version)
                return self._described[version]  # type: ignore[no-any-return]
        found = derive()
        with self._lock:
            self._described[version] = found
            while len(self._described) > self._scopes:
                self._described.popitem(last=False)
        return found

    def similarity(self, cues: Sequence[str], items: Sequence[Sequence[str]]) -> np.ndarray:
        """cues x items: each item scores its best description (1.0 for an equal stem)."""
        matrix = np.zeros((len(cues), len(items)), dtype=np.float32)
        texts = list(dict.fromkeys([*cues, *(d for item in items for d in item)]))
        if not cues or not items:
            return matrix
        vectors = self._vectors(texts)
        index = {t: i for i, t in enumerate(texts)}
        cue_vectors = vectors[[index[c] for c in cues]]
        cue_stems = [stem(c) for c in cues]
        for j, item in enumerate(items):
            if not item:
                continue
            sims = cue_vectors @ vectors[[index[d] for d in item]].T
            for i, cue_stem in enumerate(cue_stems):
                equal = any(" " not in d and stem(d) == cue_stem for d in item)
                matrix[i, j] = 1.0 if equal else float(sims[i].max())
        return matrix

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in texts if t not in self._cache]
        if missing:
            embedded = _unit(np.asarray(self.embedder.embed(missing), dtype=np.float32))
            with self._lock:
                for text, vector in zip(missing, embedded, strict=True):
                    self._cache[text] = vector
                    self._cache.move_to_end(text)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        with self._lock:
            found = [self._cache.get(t) for t in texts]
        # A text evicted between the two locks is embedded again (rare, concurrent searches).
        for i, vector in enumerate(found):
            if vector is None:
                found[i] = _unit(np.asarray(self.embedder.embed([texts[i]]), dtype=np.float32))[0]
        return np.vstack(found) if found else np.zeros((0, 0), dtype=np.float32)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
