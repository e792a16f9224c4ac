"""What a deployer shapes about what is remembered, assembled from settings and checked at
start-up: the extraction and resolution prompts (built-in or swapped by path, plus
instructions), and the domain's entity and relation types.

Nothing here changes the answer's JSON contract: instructions and types are sections added
after the prompt (prompts/instructions.v1.md, prompts/domain_types.v1.md), a swapped prompt
must keep the contract (graphmem/prompts.py), and every answer is validated as always. The
version stored on each fact names what shaped it ("extraction.v1+instructions.9b1c04aa").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphmem import identifiers
from graphmem.config import Settings
from graphmem.domain import DomainSchema, Fallback, TypeMapper, load_domain
from graphmem.extract import SELF_NAME, extraction_schema
from graphmem.prompts import Prompt, load_prompt, load_prompt_file
from graphmem.resolve import ResolutionAnswer

_ANY_TYPE = "any type, as described above"


@dataclass(frozen=True)
class Shaping:
    """The prompts an add sends and the types it may write."""

    extraction: Prompt
    resolution: Prompt
    types: TypeMapper

    @property
    def domain(self) -> DomainSchema:
        return self.types.schema

    @classmethod
    def builtin(cls) -> Shaping:
        """The latest built-in prompts, no instructions, the open domain."""
        return cls(load_prompt("extraction"), load_prompt("resolution"), TypeMapper(DomainSchema()))

    @classmethod
    def from_settings(cls, settings: Settings, domain: DomainSchema | None = None) -> Shaping:
        """Everything the settings say, validated; `domain` (from code) beats the settings'
        file. Raises ConfigError naming the setting and what is wrong."""
        schema = domain if domain is not None else load_domain(settings.domain_schema_path)
        extraction = _base("extraction", settings.extraction_prompt_path)
        extraction = _with_instructions(extraction, settings.extraction_instructions)
        if schema:
            extraction = extraction.extended(
                "types", domain_section(schema, settings.domain_fallback)
            )
        resolution = _base("resolution", settings.resolution_prompt_path)
        resolution = _with_instructions(resolution, settings.resolution_instructions)
        return cls(extraction, resolution, TypeMapper(schema, settings.domain_fallback))

    def describe(self) -> str:
        """One line for `graphmem doctor`."""
        domain = self.domain
        types = (
            f"domain: {len(domain.entity_types)} entity types, "
            f"{len(domain.relation_types)} relation types, fallback {self.types.fallback}"
            if domain
            else "open domain"
        )
        return f"{self.extraction.version}, {self.resolution.version}; {types}"


def _base(name: str, path: Path | None) -> Prompt:
    if path is None:
        return load_prompt(name)
    schema = extraction_schema() if name == "extraction" else ResolutionAnswer.model_json_schema()
    return load_prompt_file(name, path, answer_schema=schema)


def _with_instructions(prompt: Prompt, instructions: str | None) -> Prompt:
    if not instructions:
        return prompt
    section = load_prompt("instructions").render(instructions=instructions)
    return prompt.extended("instructions", section)


def domain_section(schema: DomainSchema, fallback: Fallback) -> str:
    """The extraction prompt's section listing the domain's types."""
    if fallback == "generic":
        none_fits = (
            f"When no listed type fits, use {identifiers.DEFAULT_ENTITY_TYPE} for an entity and "
            f"{identifiers.DEFAULT_RELATION} for a relation."
        )
    else:
        none_fits = "When no listed type fits exactly, use the closest listed one."
    return load_prompt("domain_types").render(
        entity_types=_listing(schema.entity_descriptions()),
        relation_types=_listing(schema.relation_descriptions()),
        when_none_fits=f'{none_fits} The speaker "{SELF_NAME}" is always a Person.',
    )


def _listing(described: dict[str, str]) -> str:
    if not described:
        return _ANY_TYPE
    return "\n".join(
        f"- {name}: {text}" if text else f"- {name}" for name, text in described.items()
    )
