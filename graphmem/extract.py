"""messages -> Extraction: one LLM call, JSON-schema constrained, parsed defensively, validated.

The model is asked for facts, typed entities and relations in one answer. The answer is read
with `parse_json_object` (fences, think tags, prose, trailing commas), validated with pydantic,
and, when it does not validate, the model gets one repair turn that quotes the validation
error. A second failure is an ExtractionError; the caller keeps the Episode for `reextract`.

Nothing here touches the database, and nothing the model says is trusted: names and types are
plain strings that the writer sanitises before they become labels or relationship types.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graphmem.errors import ExtractionError
from graphmem.llm.base import LLM, ChatMessage, Completion
from graphmem.llm.json_output import parse_json_object
from graphmem.models import Message, entity_key, representable_time
from graphmem.prompts import Prompt, load_prompt

SELF_NAME = "User"
MAX_FACTS = 100
MAX_ENTITIES = 200
MAX_RELATIONS = 200
MAX_NAME = 200
MAX_TEXT = 2_000
MAX_ERRORS_QUOTED = 8
_TOP_LEVEL = frozenset({"facts", "entities", "relations"})

# Field names small models use instead of ours; mapped before validation, never guessed further.
_SYNONYMS: dict[str, dict[str, str]] = {
    "fact": {"fact": "text", "content": "text", "memory": "text", "statement": "text"},
    "entity": {"entity": "name", "label": "type", "entity_type": "type", "kind": "type"},
    "relation": {
        "subject": "source",
        "from": "source",
        "head": "source",
        "relation": "type",
        "relationship": "type",
        "predicate": "type",
        "rel": "type",
        "object": "target",
        "to": "target",
        "tail": "target",
        "fact_id": "fact",
    },
}


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @classmethod
    def _rename(cls, data: Any, kind: str) -> Any:
        if not isinstance(data, dict):
            return data
        renamed = dict(data)
        for wrong, right in _SYNONYMS[kind].items():
            if wrong in renamed and right not in renamed:
                renamed[right] = renamed.pop(wrong)
        return renamed


def _when(value: Any) -> datetime | None:
    """An ISO 8601 date or datetime as an aware datetime (UTC if none given); else None.

    A date the model garbled, or one Neo4j cannot hold (representable_time), is dropped
    rather than failing the whole extraction.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    try:
        representable_time(parsed)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class ExtractedEntity(_Item):
    """An entity the conversation names, with a free-text type (sanitised before use)."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    type: str = Field(default="Thing", max_length=MAX_NAME)

    @model_validator(mode="before")
    @classmethod
    def _fields(cls, data: Any) -> Any:
        return cls._rename(data, "entity")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not entity_key(value):
            raise ValueError("entity name is blank")
        return value.strip()

    @field_validator("type", mode="before")
    @classmethod
    def _typed(cls, value: Any) -> Any:
        return "Thing" if value is None or value == "" else value


class ExtractedFact(_Item):
    """A durable fact in one sentence, with a small integer id relations point at."""

    id: int = Field(ge=0)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    entities: list[str] = Field(default_factory=list, max_length=MAX_ENTITIES)
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _fields(cls, data: Any) -> Any:
        return cls._rename(data, "fact")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("fact text is blank")
        return value.strip()

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _date(cls, value: Any) -> datetime | None:
        return _when(value)


class ExtractedRelation(_Item):
    """source -[type]-> target, resting on the fact with id `fact`."""

    source: str = Field(min_length=1, max_length=MAX_NAME)
    type: str = Field(min_length=1, max_length=MAX_NAME)
    target: str = Field(min_length=1, max_length=MAX_NAME)
    fact: int
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _fields(cls, data: Any) -> Any:
        return cls._rename(data, "relation")

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _date(cls, value: Any) -> datetime | None:
        return _when(value)


class Extraction(BaseModel):
    """What one conversation turn taught: facts, typed entities, relations between them."""

    model_config = ConfigDict(extra="ignore", title="Extraction")

    facts: list[ExtractedFact] = Field(default_factory=list, max_length=MAX_FACTS)
    entities: list[ExtractedEntity] = Field(default_factory=list, max_length=MAX_ENTITIES)
    relations: list[ExtractedRelation] = Field(default_factory=list, max_length=MAX_RELATIONS)

    @model_validator(mode="before")
    @classmethod
    def _ours(cls, data: Any) -> Any:
        # An answer in another shape ({"memories": [...]}, a custom prompt's own format)
        # would validate as "nothing to remember" and drop every memory without a word.
        if isinstance(data, dict) and data and not data.keys() & _TOP_LEVEL:
            raise ValueError(
                f"the answer has none of the fields {sorted(_TOP_LEVEL)}, only {sorted(data)}"
            )
        return data

    @model_validator(mode="after")
    def _references(self) -> Extraction:
        ids = [f.id for f in self.facts]
        if len(set(ids)) != len(ids):
            raise ValueError(f"fact ids must be unique, got {ids}")
        unknown = sorted({r.fact for r in self.relations} - set(ids))
        if unknown:
            raise ValueError(
                f"relations point at fact ids {unknown}, but the facts have ids {ids}; "
                "every relation's 'fact' must be the id of one of the facts"
            )
        return self

    def fact(self, fact_id: int) -> ExtractedFact:
        return next(f for f in self.facts if f.id == fact_id)


@dataclass
class ExtractionResult:
    """A validated Extraction and what it cost."""

    extraction: Extraction
    prompt_version: str
    model: str
    completions: list[Completion] = field(default_factory=list)


def extraction_schema() -> dict[str, Any]:
    """The JSON schema sent as the structured-output constraint."""
    return Extraction.model_json_schema()


def extract(
    llm: LLM,
    messages: Sequence[Message],
    *,
    message_time: datetime,
    prompt: Prompt | None = None,
) -> ExtractionResult:
    """One extraction call (plus at most one repair call). Raises ExtractionError."""
    prompt = prompt or load_prompt("extraction")
    chat = extraction_messages(prompt, messages, message_time)
    schema = extraction_schema()
    completions = [llm.complete(chat, json_schema=schema)]
    try:
        extraction = parse_extraction(completions[0].text)
    except ExtractionError as first:
        chat = [*chat, *repair_messages(completions[0].text, first)]
        completions.append(llm.complete(chat, json_schema=schema))
        try:
            extraction = parse_extraction(completions[1].text)
        except ExtractionError as second:
            raise ExtractionError(
                f"the LLM's extraction was unusable after one repair: {second}"
            ) from second
    return ExtractionResult(extraction, prompt.version, completions[-1].model, completions)


def parse_extraction(text: str) -> Extraction:
    """The Extraction in a model's answer, or an ExtractionError saying what is wrong."""
    data = parse_json_object(text)
    try:
        return Extraction.model_validate(data)
    except ValidationError as exc:
        raise ExtractionError(f"the extraction does not validate: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """A validation error in a few lines a model (or a person) can act on."""
    lines = []
    for err in exc.errors()[:MAX_ERRORS_QUOTED]:
        where = ".".join(str(p) for p in err["loc"]) or "answer"
        lines.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - MAX_ERRORS_QUOTED
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def extraction_messages(
    prompt: Prompt, messages: Sequence[Message], message_time: datetime
) -> list[ChatMessage]:
    system = prompt.render(self_name=SELF_NAME, message_time=message_time.isoformat())
    transcript = "\n".join(_line(m) for m in messages)
    user = f"Conversation (message time {message_time.isoformat()}):\n\n{transcript}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _line(message: Message) -> str:
    """One message of the transcript; its own time first when it has one."""
    when = f"[{message.timestamp.isoformat()}] " if message.timestamp else ""
    return f"{when}{message.name or message.role}: {message.content}"


def repair_messages(answer: str, error: ExtractionError) -> list[ChatMessage]:
    """The repair turn: the bad answer, then what was wrong with it."""
    return [
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": (
                f"That answer could not be used: {error}\n"
                "Answer again with only the corrected JSON object, following the schema: "
                + json.dumps(extraction_schema(), separators=(",", ":"))
            ),
        },
    ]


__all__ = [
    "SELF_NAME",
    "ExtractedEntity",
    "ExtractedFact",
    "ExtractedRelation",
    "Extraction",
    "ExtractionResult",
    "extract",
    "extraction_schema",
    "parse_extraction",
]
