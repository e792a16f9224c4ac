import pytest

from graphmem import identifiers
from graphmem.errors import InputError
from graphmem.metadata import flatten, property_name, unflatten

HOSTILE = [
    "KNOWS]->(x) DETACH DELETE x //",
    "`) MATCH (n) DETACH DELETE n //",
    "lives in",
    "LIVES_IN",
    "123abc",
    "",
    "über-cool relation ✨",
    "a" * 500,
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_relation_types_always_match_the_strict_pattern(raw: str) -> None:
    sanitised = identifiers.relation_type(raw)
    assert identifiers.RELATION_TYPE.fullmatch(sanitised)
    assert len(sanitised) <= identifiers.MAX_RELATION_TYPE


@pytest.mark.parametrize("raw", [*HOSTILE, "Entity", "Fact", "programming language"])
def test_entity_types_always_match_the_strict_pattern(raw: str) -> None:
    sanitised = identifiers.entity_type(raw)
    assert identifiers.ENTITY_TYPE.fullmatch(sanitised)
    assert sanitised not in identifiers.RESERVED_LABELS


def test_readable_names_survive() -> None:
    assert identifiers.relation_type("lives in") == "LIVES_IN"
    assert identifiers.entity_type("programming language") == "ProgrammingLanguage"
    assert identifiers.entity_type("Entity") == identifiers.DEFAULT_ENTITY_TYPE


@pytest.mark.parametrize("key", ["a b", "x`y", "1abc", "", "a.b", "k" * 65, "n.status}) //"])
def test_hostile_metadata_keys_are_refused(key: str) -> None:
    with pytest.raises(InputError):
        flatten({key: 1})


def test_metadata_round_trip_through_flat_properties() -> None:
    data = {"room_id": "proj-42", "priority": 3, "tags": ["a", "b"], "source": {"app": "cli"}}
    props = flatten(data)
    assert props["meta.source.app"] == "cli"
    assert unflatten(props) == data
    assert property_name("source.app") == "meta.source.app"


@pytest.mark.parametrize(
    "value", [{"a": {"b": {"c": {"d": 1}}}}, {"a": [1, "x"]}, {"a": object()}, {"a": "x" * 5000}]
)
def test_unsupported_metadata_values_are_refused(value: dict) -> None:
    with pytest.raises(InputError):
        flatten(value)
