"""A deployer's domain: the entity and relation types the graph should speak, with what each
means, and the mapping of any other type onto them.

The schema comes from a small TOML or JSON file (`DomainSchema.from_file`), from pydantic
models in the style of Graphiti's custom types (`DomainSchema.from_models`: the class name
is the type, its docstring the description), or from plain mappings. Extraction is asked to
use these types (prompts/domain_types.v1.md); what it writes anyway passes the sanitiser
(graphmem/identifiers.py) first and is then mapped by `TypeMapper`: onto the nearest declared
type by meaning, or onto the generic type (Thing, RELATED_TO), per `domain_fallback`.

Names are validated, never rewritten: a declared name the sanitiser would change is refused.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graphmem import identifiers
from graphmem.embed.base import Embedder
from graphmem.errors import ConfigError

Fallback = Literal["nearest", "generic"]
MAX_TYPES = 200
MAX_DESCRIPTION = 500
# "nearest" maps a type onto a declared one only this similar (raw cosine, all-MiniLM-L6-v2,
# the best of the name alone and the name with its description). Measured: City -> Place
# 0.57, Company -> Organization 0.63, HUSBAND_OF -> MARRIED_TO 0.70, EMPLOYED_BY -> WORKS_AT
# 0.60; but SISTER_OF -> MARRIED_TO 0.45 and Pet -> Person 0.36 are wrong. Below the floor the
# generic type is the honest answer: vague but true.
NEAREST_MIN_SIMILARITY = 0.5
_CAMEL_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_NAME_CACHE_LIMIT = 4096

TypeSource = Mapping[str, "type[BaseModel] | str"] | Sequence["type[BaseModel]"]


class _SchemaFile(BaseModel):
    """The file's shape: {"entity_types": {Name: description}, "relation_types": {...}}."""

    model_config = ConfigDict(extra="forbid")
    entity_types: dict[str, str] | list[str] = Field(default_factory=dict)
    relation_types: dict[str, str] | list[str] = Field(default_factory=dict)


@dataclass(frozen=True)
class DomainSchema:
    """The declared entity types (PascalCase labels) and relation types (UPPER_SNAKE), each
    with a description. Empty: the open domain, any sanitised type goes."""

    entity_types: Mapping[str, str] = field(default_factory=dict)
    relation_types: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entity_types", _checked(self.entity_types, "entity"))
        object.__setattr__(self, "relation_types", _checked(self.relation_types, "relation"))

    def __bool__(self) -> bool:
        return bool(self.entity_types or self.relation_types)

    def relation_descriptions(self) -> dict[str, str]:
        """Relation type -> what it means (empty string when undescribed); {} when open."""
        return dict(self.relation_types)

    def entity_descriptions(self) -> dict[str, str]:
        """Entity type -> what it means (empty string when undescribed); {} when open."""
        return dict(self.entity_types)

    @classmethod
    def from_file(cls, path: Path) -> DomainSchema:
        """A schema from a .toml or .json file; ConfigError saying what is wrong."""
        where = f"domain schema {path}"
        try:
            raw = path.expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where} cannot be read: {exc}") from None
        data = _parse(raw, path.suffix.lower(), where)
        try:
            parsed = _SchemaFile.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{where} is invalid: {problems}") from None
        try:
            return cls(_described(parsed.entity_types), _described(parsed.relation_types))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    @classmethod
    def from_models(
        cls, *, entity_types: TypeSource = (), relation_types: TypeSource = ()
    ) -> DomainSchema:
        """A schema from pydantic models (or descriptions), as Graphiti users declare types.

        Each argument is a list of models (the class name is the type: `WorksAt` becomes
        WORKS_AT for a relation) or a mapping of type name to a model or a description. A
        model's docstring is the description; its fields are not extracted.
        """
        return cls(
            _from_source(entity_types, lambda n: n),
            _from_source(relation_types, _upper_snake),
        )


def load_domain(path: Path | None) -> DomainSchema:
    """The schema in `path`, or the open domain."""
    return DomainSchema() if path is None else DomainSchema.from_file(path)


def _parse(raw: str, suffix: str, where: str) -> Any:
    if suffix == ".json":
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"{where} is not valid JSON: {exc}") from None
    if suffix == ".toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            raise ConfigError(f"{where}: TOML needs Python 3.11+; use a .json file") from None
        try:
            return tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    raise ConfigError(f"{where}: use a .toml or .json file")


def _described(items: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(items, Mapping):
        return dict(items)
    return dict.fromkeys(items, "")


def _from_source(source: TypeSource, name_of_class: Any) -> dict[str, str]:
    if isinstance(source, Mapping):
        return {
            name: item if isinstance(item, str) else _docstring(item)
            for name, item in source.items()
        }
    return {name_of_class(model.__name__): _docstring(model) for model in source}


def _docstring(model: type) -> str:
    # A class's own docstring only: __doc__ is not inherited, but BaseModel's is set.
    doc = model.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _upper_snake(class_name: str) -> str:
    return "_".join(w.upper() for w in _CAMEL_WORDS.findall(class_name))


def _checked(declared: Mapping[str, str], kind: str) -> dict[str, str]:
    sanitise = identifiers.entity_type if kind == "entity" else identifiers.relation_type
    example = "ProgrammingLanguage" if kind == "entity" else "WORKS_AT"
    if len(declared) > MAX_TYPES:
        raise ConfigError(f"at most {MAX_TYPES} {kind} types, got {len(declared)}")
    checked = {}
    for name, description in declared.items():
        if not isinstance(name, str) or sanitise(name) != name:
            raise ConfigError(
                f"{kind} type {name!r} is not a valid name: write it like {example} "
                f"(the sanitiser would store it as {sanitise(str(name))!r})"
            )
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise ConfigError(
                f"{kind} type {name}: the description must be text of at most "
                f"{MAX_DESCRIPTION} characters"
            )
        checked[name] = " ".join(description.split())
    return checked


# ---- mapping extracted types onto the schema -----------------------------------------------


@dataclass
class TypeMapping:
    """Extracted type (as written) -> the type to store, for one add."""

    entities: dict[str, str]
    relations: dict[str, str]
    embedded: int = 0  # texts embedded to find nearest types (for the add's usage)


class TypeMapper:
    """Maps types onto a DomainSchema; the identity, after the sanitiser, when it is open.

    Declared and generic types pass (matched loosely: "lives in", "LivesIn" -> LIVES_IN);
    others become the nearest declared type by meaning (>= NEAREST_MIN_SIMILARITY) or the
    generic one, per `fallback`. Results are cached per mapper; the declared types' vectors
    are embedded once.
    """

    def __init__(self, schema: DomainSchema, fallback: Fallback = "nearest") -> None:
        self.schema = schema
        self.fallback = fallback
        self._entities = _Vocabulary(
            schema.entity_types, identifiers.entity_type, identifiers.DEFAULT_ENTITY_TYPE
        )
        self._relations = _Vocabulary(
            schema.relation_types, identifiers.relation_type, identifiers.DEFAULT_RELATION
        )
        self._lock = threading.Lock()  # concurrent adds share the caches

    def map(
        self, entity_types: Iterable[str], relation_types: Iterable[str], embedder: Embedder
    ) -> TypeMapping:
        """The stored type for each given one; one embedding batch for all unknown ones."""
        with self._lock:
            return self._map(entity_types, relation_types, embedder)

    def _map(
        self, entity_types: Iterable[str], relation_types: Iterable[str], embedder: Embedder
    ) -> TypeMapping:
        entities = self._entities.known(entity_types)
        relations = self._relations.known(relation_types)
        open_entities = [t for t, mapped in entities.items() if mapped is None]
        open_relations = [t for t, mapped in relations.items() if mapped is None]
        embedded = 0
        if self.fallback == "nearest" and (open_entities or open_relations):
            texts = [_words(self._entities.sanitise(t)) for t in open_entities]
            texts += [_words(self._relations.sanitise(t)) for t in open_relations]
            vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
            embedded = len(texts)
            self._entities.learn_nearest(open_entities, vectors[: len(open_entities)], embedder)
            self._relations.learn_nearest(open_relations, vectors[len(open_entities) :], embedder)
        else:
            self._entities.learn_generic(open_entities)
            self._relations.learn_generic(open_relations)
        return TypeMapping(
            {t: self._entities.mapped[t] for t in entities},
            {t: self._relations.mapped[t] for t in relations},
            embedded,
        )


class _Vocabulary:
    """One kind's declared types, loose index, vectors and learned mappings."""

    def __init__(self, declared: Mapping[str, str], sanitise: Any, generic: str) -> None:
        self.declared = dict(declared)
        self.sanitise = sanitise
        self.generic = generic
        self.loose = {_loose(name): name for name in self.declared}
        self.mapped: dict[str, str] = {}
        # The embedder's model, then the declared types' vectors: by name, by description.
        self._vectors: tuple[str, np.ndarray, np.ndarray] | None = None

    def known(self, raws: Iterable[str]) -> dict[str, str | None]:
        """Each raw type's mapping where it needs no embedding; None where it does."""
        if len(self.mapped) > _NAME_CACHE_LIMIT:
            self.mapped.clear()
        found: dict[str, str | None] = {}
        for raw in raws:
            if raw in self.mapped:
                found[raw] = self.mapped[raw]
                continue
            clean = self.sanitise(raw)
            if not self.declared or clean == self.generic:
                found[raw] = self.mapped[raw] = clean
            elif _loose(clean) in self.loose:
                found[raw] = self.mapped[raw] = self.loose[_loose(clean)]
            else:
                found[raw] = None
        return found

    def learn_generic(self, raws: Sequence[str]) -> None:
        for raw in raws:
            self.mapped[raw] = self.generic

    def learn_nearest(self, raws: Sequence[str], vectors: np.ndarray, embedder: Embedder) -> None:
        if not raws:
            return
        names, by_name, described = self._declared_vectors(embedder)
        similarity = np.maximum(vectors @ by_name.T, vectors @ described.T)
        for raw, row in zip(raws, similarity, strict=True):
            best = int(row.argmax())
            near = row[best] >= NEAREST_MIN_SIMILARITY
            self.mapped[raw] = names[best] if near else self.generic

    def _declared_vectors(self, embedder: Embedder) -> tuple[list[str], np.ndarray, np.ndarray]:
        names = list(self.declared)
        if self._vectors is None or self._vectors[0] != embedder.model:
            texts = [_words(n) for n in names]
            texts += [f"{_words(n)}: {d}" if d else _words(n) for n, d in self.declared.items()]
            vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
            self._vectors = (embedder.model, vectors[: len(names)], vectors[len(names) :])
        _, by_name, described = self._vectors
        return names, by_name, described


def _loose(name: str) -> str:
    """A type without case or separators: LIVES_IN, LivesIn and "lives in" agree."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def _words(name: str) -> str:
    """A type as words, for the embedder: HUSBAND_OF -> "husband of", CarBrand -> "car brand"."""
    return " ".join(w.lower() for w in _CAMEL_WORDS.findall(name.replace("_", " ")))
