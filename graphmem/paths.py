"""Relational paths: from the entities a query names, follow the relations it asks for.

"In which city is the company that Alice's sister works for headquartered?" names Alice and
asks, in its cue words, for a sister, working for and being headquartered, and for a
company and a city. A beam search walks out of each anchor up to max_hops relations; each
step must match one cue word the path has not used yet (relations.CueMatcher: by the
relation's type or the words the scope's facts use for that type; at >= threshold), and
the entity it reaches may match another cue by its type label ("company" ~ Organization,
at >= kind_threshold); a step whose relation matches nothing is taken only when its
entity's kind does. A path scores the sum of its matches, so the path that explains more
of the query outranks the one that explains less:

    Alice -SISTER_OF- Carol -WORKS_AT- Tyrell (company) -HEADQUARTERED_IN- Utrecht (city)
    Alice -WORKS_AT- Initech (company) -HEADQUARTERED_IN- Lyon (city)

A kind word is spent on the entity it describes, so it cannot carry the walk on by itself
("Which company does Nadia's husband work for?" must not wander from Nadia's company to
her colleagues' husbands). Word order breaks ties between paths that explain the same
words: each step whose cue comes after the previous step's in the order words.cues expects
gains order_bonus, each that comes before it loses as much, so "my boss's brother" prefers
boss-then-brother to brother-then-boss. Relations are walked in either direction (extraction stores
"Alice SISTER_OF Carol" or "Carol SISTER_OF Alice" for the same sisters), never back through
an entity already on the path. The facts carrying a path's relations are the evidence
recall returns together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from graphmem.relations import CueMatcher, label_phrase, type_descriptions
from graphmem.store.recall_rows import Link, Vocabulary
from graphmem.words import Cue, content_words

# One hop: (frontier entity ids, what is asked) -> their relations the query may ask for.
Hop = Callable[[list[str], "Asked"], list[Link]]


@dataclass(frozen=True)
class PathSettings:
    threshold: float = 0.55  # the least cue match a step needs
    kind_threshold: float = 0.6  # the least match of a cue to the reached entity's type
    order_bonus: float = 0.1  # per step in (+) or against (-) the query's word order
    reading_margin: float = 0.2  # cues within this of a step's best match are alternatives
    max_hops: int = 3
    beam: int = 64  # paths kept per hop, best first
    per_node: int = 50  # relations read per frontier entity, best-matching types first


@dataclass(frozen=True)
class Path:
    nodes: tuple[str, ...]  # entity ids, the anchor first
    links: tuple[Link, ...]
    cues: frozenset[int]  # the cues (their indexes) its steps and entities matched
    score: float  # the sum of those matches, with the word-order bonus
    last_rank: int = -1  # the expected place (Cue.rank) of its last step's cue

    @property
    def end(self) -> str:
        return self.nodes[-1]


@dataclass(frozen=True)
class Asked:
    """What a query asks of the graph: its cues, the relation types and the entity labels
    they match (each -> its best match to any cue), and what describes each type."""

    cues: tuple[Cue, ...]
    descriptions: Mapping[str, Sequence[str]]
    types: Mapping[str, float]  # relation type -> best cue match, >= the step threshold
    kinds: Mapping[str, float]  # entity label -> best cue match, >= the kind threshold

    @property
    def anything(self) -> bool:
        """Whether any relation or entity kind could make a step."""
        return bool(self.types or self.kinds)


@dataclass(frozen=True)
class Described:
    """What a scope's words can match: relation type -> what describes it, label -> its
    phrase. Derived from a Vocabulary; reused while the scope is unchanged."""

    relations: Mapping[str, Sequence[str]]
    labels: Mapping[str, Sequence[str]]


def describe(vocabulary: Vocabulary, declared: Mapping[str, str] | None = None) -> Described:
    """What describes each type and label of a vocabulary; `declared`: the deployer's
    descriptions of relation types (a domain schema), whose words describe them too."""
    declared = declared or {}
    return Described(
        {
            t: list(dict.fromkeys([*type_descriptions(t, w), *content_words(declared.get(t, ""))]))
            for t, w in vocabulary.relations.items()
        },
        {label: [label_phrase(label)] for label in vocabulary.labels},
    )


def ask(
    matcher: CueMatcher,
    cues: Sequence[Cue],
    described: Described,
    settings: PathSettings = PathSettings(),
) -> Asked:
    """Match the cues against the relation types (by their descriptions) and entity labels
    a scope's words can match, keeping those that can make a step."""
    words = [c.word for c in cues]
    types = best_matches(matcher, words, described.relations)
    kinds = best_matches(matcher, words, described.labels)
    return Asked(
        tuple(cues),
        described.relations,
        {t: w for t, w in types.items() if w >= settings.threshold},
        {k: w for k, w in kinds.items() if w >= settings.kind_threshold},
    )


def best_matches(
    matcher: CueMatcher, words: Sequence[str], items: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """Item -> its best match to any of the words (items: name -> what describes it)."""
    if not words or not items:
        return {}
    names = list(items)
    sims = matcher.similarity(words, [items[n] for n in names])
    return {n: float(sims[:, j].max()) for j, n in enumerate(names)}


def find_paths(
    hop: Hop,
    anchors: Sequence[str],
    asked: Asked,
    matcher: CueMatcher,
    settings: PathSettings = PathSettings(),
) -> list[Path]:
    """Every path of 1..max_hops matched steps out of the anchors that the beam kept."""
    if not anchors or not asked.anything:
        return []
    cues = asked.cues
    beam = [Path((a,), (), frozenset(), 0.0) for a in dict.fromkeys(anchors)]
    found: list[Path] = []
    for _ in range(settings.max_hops):
        open_paths = [p for p in beam if len(p.cues) < len(cues)]
        if not open_paths:
            break
        links = hop(sorted({p.end for p in open_paths}), asked)
        by_relation, by_kind = _matches(matcher, cues, links, asked.descriptions)
        by_node: dict[str, list[int]] = defaultdict(list)
        for i, link in enumerate(links):
            by_node[link.from_id].append(i)
        grown = [
            step
            for path in open_paths
            for i in by_node.get(path.end, [])
            for step in _steps(path, links[i], by_relation[i], by_kind[i], cues, settings)
        ]
        grown.sort(key=lambda p: (-p.score, len(p.links)))
        beam = grown[: settings.beam]
        found.extend(beam)
    return found


def _steps(
    path: Path,
    link: Link,
    relation_match: np.ndarray,
    kind_match: np.ndarray,
    cues: Sequence[Cue],
    settings: PathSettings,
) -> list[Path]:
    """The path one relation longer, once for each unused cue the relation matches about as
    well as its best (within reading_margin: the beam, not this step, decides between
    close readings; "company" does not read WORKS_AT when "work" is there), or once when only the
    entity it reaches matches a cue by its kind ("In which city is Alice's brother's
    home?": a phrasing that names no relation still ends in a city); none otherwise."""
    if link.to_id in path.nodes:
        return []
    free = [i for i in range(len(cues)) if i not in path.cues]
    best = max((float(relation_match[i]) for i in free), default=0.0)
    grown = []
    for i in free:
        cue = cues[i]
        match = float(relation_match[i])
        if match < max(settings.threshold, best - settings.reading_margin):
            continue
        score = path.score + match
        if path.links:  # the first step has no order to keep
            bonus = settings.order_bonus
            score += bonus if cue.rank > path.last_rank else -bonus
        grown.append(_reach(path, link, kind_match, cues, settings, {i}, score, cue.rank))
    if not grown:
        step = _reach(path, link, kind_match, cues, settings, set(), path.score, path.last_rank)
        grown = [step] if step.cues != path.cues else []
    return grown


def _reach(
    path: Path,
    link: Link,
    kind_match: np.ndarray,
    cues: Sequence[Cue],
    settings: PathSettings,
    matched: set[int],
    score: float,
    rank: int,
) -> Path:
    """The path through `link`, its entity spending the unused cue that best names its kind."""
    used = path.cues | matched
    free = [i for i in range(len(cues)) if i not in used]
    kind = max(free, key=lambda i: float(kind_match[i]), default=None)
    if kind is not None and kind_match[kind] >= settings.kind_threshold:
        used, score = used | {kind}, score + float(kind_match[kind])
    return Path((*path.nodes, link.to_id), (*path.links, link), frozenset(used), score, rank)


def _matches(
    matcher: CueMatcher,
    cues: Sequence[Cue],
    links: Sequence[Link],
    descriptions: Mapping[str, Sequence[str]],
) -> tuple[np.ndarray, np.ndarray]:
    """links x cues twice: each relation's match to each cue (by its type's descriptions),
    and its far entity's (by the entity's type label)."""
    empty = np.zeros((len(links), len(cues)), dtype=np.float32)
    if not links:
        return empty, empty
    words = [c.word for c in cues]
    types = sorted({link.relation for link in links})
    by_type = matcher.similarity(
        words, [descriptions.get(t) or type_descriptions(t) for t in types]
    )
    type_column = {t: j for j, t in enumerate(types)}
    labels = sorted({link.to_type for link in links if link.to_type})
    by_label = matcher.similarity(words, [[label_phrase(label)] for label in labels])
    label_column = {label: j for j, label in enumerate(labels)}
    relation, kind = empty.copy(), empty.copy()
    for i, link in enumerate(links):
        relation[i] = by_type[:, type_column[link.relation]]
        if link.to_type:
            kind[i] = by_label[:, label_column[link.to_type]]
    return relation, kind


NOTHING_ASKED = Asked((), {}, {}, {})
