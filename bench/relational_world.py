"""A deterministic synthetic memory for relational recall, and questions with gold paths.

One world is what an LLM would have extracted from one user's chats: about 150 people whose
first and last names repeat (families share a last name, and unrelated families can too),
cities, companies, pets and hobbies; one typed relation per fact, each relation written in
three or four phrasings, siblings stored from either side (SISTER_OF / BROTHER_OF from the
sibling whose gender the type names), managers as MANAGES or REPORTS_TO, the user's own
facts written in the first person ("My wife is ...", entity "I"), and non-relational
distractors, some of which use the same role words ("Nora wants to see her sister more").

Questions come in four kinds, each with a unique gold path (the facts carrying its edges):
  hop1  "Where does Carol Moreau live?"                                        1 fact
  hop2  "Where does Alice Moreau's sister live?"                               2 facts
  hop3  "In which city is the company that Alice Moreau's sister works for
         headquartered?"                                                      3 facts
  self  "Who is my wife's brother married to?" (1 to 3 facts)

Two variants keep the bench honest: `dev` and `heldout` use different fact phrasings,
different question wordings and different relation type names (WORKS_AT / EMPLOYED_BY,
LIVES_IN / RESIDES_IN, ...), so a recall tuned on one can be checked on the other.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Variant = Literal["dev", "heldout"]
Kind = Literal["hop1", "hop2", "hop3", "self"]
KINDS: tuple[Kind, ...] = ("hop1", "hop2", "hop3", "self")
SELF = "I"  # how the user's own facts name the user (graphmem maps it to the self entity)

FEMALE = [
    "Alice",
    "Beth",
    "Carol",
    "Dana",
    "Elena",
    "Fiona",
    "Grace",
    "Hana",
    "Ines",
    "Julia",
    "Lena",
    "Maya",
    "Nadia",
    "Olga",
    "Priya",
    "Rosa",
    "Sara",
    "Tara",
    "Vera",
    "Zoe",
    "Amira",
    "Bianca",
    "Clara",
    "Emma",
    "Leila",
    "Mei",
    "Nora",
    "Ruth",
    "Sofia",
    "Yara",
]
MALE = [
    "Aaron",
    "Bruno",
    "Carlos",
    "David",
    "Emil",
    "Farid",
    "Gustav",
    "Hugo",
    "Ivan",
    "Jonas",
    "Kofi",
    "Liam",
    "Marco",
    "Nikolai",
    "Omar",
    "Pablo",
    "Quentin",
    "Rafael",
    "Sami",
    "Tomas",
    "Umar",
    "Victor",
    "Wes",
    "Yusuf",
    "Anton",
    "Ben",
    "Dario",
    "Felix",
    "Leo",
    "Theo",
]
LAST = [
    "Moreau",
    "Novak",
    "Silva",
    "Costa",
    "Laurent",
    "Fischer",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Okafor",
    "Berg",
    "Duarte",
    "Larsen",
    "Petrov",
    "Janssen",
    "Weber",
    "Romano",
    "Dubois",
    "Kim",
    "Nakamura",
    "Ortiz",
    "Sato",
    "Varga",
    "Lindqvist",
    "Meyer",
    "Horvat",
    "Castillo",
    "Mendes",
    "Brennan",
    "Walsh",
    "Quinn",
    "Ahmed",
    "Suzuki",
    "Ferreira",
    "Keller",
    "Lambert",
]
CITIES = [
    "Utrecht",
    "Lisbon",
    "Porto",
    "Madrid",
    "Lyon",
    "Turin",
    "Vienna",
    "Prague",
    "Krakow",
    "Oslo",
    "Dublin",
    "Leeds",
    "Boston",
    "Denver",
    "Austin",
    "Seattle",
    "Toronto",
    "Montreal",
    "Osaka",
    "Seoul",
    "Perth",
    "Nairobi",
    "Lagos",
    "Cairo",
    "Valencia",
    "Ghent",
    "Bergen",
    "Tallinn",
    "Zagreb",
    "Seville",
]
COMPANIES = [
    "Tyrell Corp", "Umbrella Labs", "Northwind Traders", "Globex", "Initech", "Acme Robotics",
    "Stark Freight", "Wayne Biotech", "Hooli", "Soylent Foods", "Cyberdyne Systems",
    "Vandelay Imports", "Pied Piper", "Massive Dynamic", "Oscorp", "Aperture Science",
    "Blue Sun", "Gringotts Finance", "Monarch Solutions", "Duff Brewing", "Nakatomi Trading",
    "Wonka Confections", "Virtucon", "Sterling Cooper",
]  # fmt: skip
PETS = [
    "Biscuit",
    "Pepper",
    "Mochi",
    "Ziggy",
    "Luna",
    "Rocket",
    "Noodle",
    "Pickles",
    "Waffles",
    "Olive",
    "Bandit",
    "Marble",
    "Pumpkin",
    "Sprout",
    "Domino",
    "Clover",
    "Tofu",
    "Nugget",
    "Pixel",
    "Juniper",
    "Maple",
    "Comet",
    "Shadow",
    "Peanut",
]
SPECIES = ("dog", "cat", "parrot", "rabbit", "tortoise")
HOBBIES = [
    "pottery", "chess", "rock climbing", "sourdough baking", "birdwatching", "salsa dancing",
    "photography", "sailing", "gardening", "astronomy", "watercolour painting", "tennis",
]  # fmt: skip

# Relation type names per variant: (dev, heldout).
TYPES = {
    "sister": ("SISTER_OF", "SISTER_OF"),
    "brother": ("BROTHER_OF", "BROTHER_OF"),
    "spouse": ("MARRIED_TO", "SPOUSE_OF"),
    "manages": ("MANAGES", "SUPERVISES"),
    "reports": ("REPORTS_TO", "REPORTS_TO"),
    "works": ("WORKS_AT", "EMPLOYED_BY"),
    "lives": ("LIVES_IN", "RESIDES_IN"),
    "hq": ("HEADQUARTERED_IN", "BASED_IN"),
    "owns": ("OWNS", "HAS_PET"),
    "friend": ("FRIEND_OF", "FRIENDS_WITH"),
    "hobby": ("ENJOYS", "HAS_HOBBY"),
}


@dataclass
class Person:
    name: str  # SELF for the user
    gender: str  # "f" | "m"
    city: str = ""
    company: str = ""
    pet: str | None = None
    species: str = ""
    hobbies: list[str] = field(default_factory=list)
    siblings: list[str] = field(default_factory=list)
    spouse: str | None = None
    boss: str | None = None
    friends: list[str] = field(default_factory=list)


@dataclass
class Fact:
    text: str
    entities: list[dict[str, str]]
    relations: list[dict[str, str]]

    def as_input(self) -> dict[str, Any]:
        return {"text": self.text, "entities": self.entities, "relations": self.relations}


@dataclass
class Question:
    kind: Kind
    text: str
    gold: list[str]  # the texts of the facts on the path, in hop order
    answer: str


@dataclass
class World:
    people: dict[str, Person]
    hq: dict[str, str]
    facts: list[Fact]
    questions: list[Question]
    # (a, kind, b) -> fact text, for every relation the world states (both orders for
    # symmetric kinds)
    edge_fact: dict[tuple[str, str, str], str]


# ---- fact phrasings --------------------------------------------------------------------

Say = Callable[[str, str], str]


def _role(kind: str, gender: str) -> str:
    return {
        ("sibling", "f"): "sister",
        ("sibling", "m"): "brother",
        ("spouse", "f"): "wife",
        ("spouse", "m"): "husband",
    }[(kind, gender)]


def _poss(name: str) -> str:
    return "my" if name == SELF else f"{name}'s"


def _subj(name: str) -> str:
    return name


def _be(name: str) -> str:
    return "am" if name == SELF else "is"


def _verb(name: str, third: str, first: str) -> str:
    return first if name == SELF else third


def _obj(name: str) -> str:
    return "me" if name == SELF else name


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


# Each phrasing takes (a, b) and returns a sentence; variant-indexed lists.
def sibling_phrasings(role: str, variant: Variant) -> list[Say]:
    """a is b's `role` (sister/brother)."""
    dev: list[Say] = [
        lambda a, b: f"{_subj(a)} {_be(a)} {_poss(b)} {role}.",
        lambda a, b: _cap(f"{_poss(b)} {role} is {_obj(a)}."),
        lambda a, b: (
            f"{_subj(b)} {_verb(b, 'has', 'have')} a {role} called {a}."
            if a != SELF
            else f"{b} and I are siblings; I am the {role}."
        ),
    ]
    heldout: list[Say] = [
        lambda a, b: f"{_subj(a)} and {_obj(b)} are siblings; {_subj(a)} {_be(a)} the {role}.",
        lambda a, b: _cap(f"{_poss(b)} younger {role}, {_obj(a)}, visited last week."),
        lambda a, b: f"{_subj(a)} {_be(a)} the {role} of {_obj(b)}.",
    ]
    return dev if variant == "dev" else heldout


def spouse_phrasings(role_of_b: str, variant: Variant) -> list[Say]:
    """a is married to b (role_of_b: b's role for a, wife/husband)."""
    dev: list[Say] = [
        lambda a, b: f"{_subj(a)} {_be(a)} married to {_obj(b)}.",
        lambda a, b: _cap(f"{_poss(a)} {role_of_b} is {_obj(b)}."),
        lambda a, b: f"{_subj(b)} {_be(b)} {_poss(a)} {role_of_b}.",
        lambda a, b: f"{_subj(a)} and {_obj(b)} got married in 2016.",
    ]
    heldout: list[Say] = [
        lambda a, b: f"{_subj(a)} tied the knot with {_obj(b)} three years ago.",
        lambda a, b: _cap(f"{_poss(a)} spouse is {_obj(b)}."),
        lambda a, b: f"{_subj(b)}, {_poss(a)} {role_of_b}, cooked dinner for the family.",
    ]
    return dev if variant == "dev" else heldout


def manages_phrasings(variant: Variant) -> list[Say]:
    """a manages b."""
    dev: list[Say] = [
        lambda a, b: f"{_subj(a)} {_verb(a, 'manages', 'manage')} {_obj(b)}.",
        lambda a, b: f"{_subj(a)} {_be(a)} {_poss(b)} manager.",
        lambda a, b: _cap(f"{_poss(b)} boss is {_obj(a)}."),
    ]
    heldout: list[Say] = [
        lambda a, b: f"{_subj(a)} {_verb(a, 'supervises', 'supervise')} {_obj(b)} at work.",
        lambda a, b: f"{_subj(a)} {_be(a)} {_poss(b)} team lead.",
        lambda a, b: f"{_subj(b)} {_verb(b, 'works', 'work')} under {_obj(a)}.",
    ]
    return dev if variant == "dev" else heldout


def reports_phrasings(variant: Variant) -> list[Say]:
    """a reports to b."""
    dev: list[Say] = [
        lambda a, b: f"{_subj(a)} {_verb(a, 'reports', 'report')} to {_obj(b)}.",
        lambda a, b: (
            f"{_subj(a)} {_verb(a, 'reports', 'report')} directly to {_obj(b)}, "
            f"{'my' if a == SELF else 'their'} boss."
        ),
        lambda a, b: (
            f"{_subj(b)} {_be(b)} the manager {_subj(a)} {_verb(a, 'reports', 'report')} to."
        ),
    ]
    heldout: list[Say] = [
        lambda a, b: f"{_subj(a)} {_verb(a, 'answers', 'answer')} to {_obj(b)} at work.",
        lambda a, b: f"{_subj(b)} {_be(b)} the supervisor of {_obj(a)}.",
        lambda a, b: f"{_subj(a)} {_verb(a, 'is', 'am')} on {_poss(b)} team.",
    ]
    return dev if variant == "dev" else heldout


def works_phrasings(variant: Variant) -> list[Say]:
    dev: list[Say] = [
        lambda a, c: f"{_subj(a)} {_verb(a, 'works', 'work')} at {c}.",
        lambda a, c: f"{_subj(a)} {_be(a)} employed by {c}.",
        lambda a, c: f"{_subj(a)} {_verb(a, 'has', 'have')} a job at {c}.",
        lambda a, c: f"{c} employs {_obj(a)} as an engineer.",
    ]
    heldout: list[Say] = [
        lambda a, c: f"{_subj(a)} joined {c} as an analyst.",
        lambda a, c: _cap(f"{_poss(a)} employer is {c}."),
        lambda a, c: f"{_subj(a)} {_verb(a, 'earns', 'earn')} a salary from {c}.",
    ]
    return dev if variant == "dev" else heldout


def lives_phrasings(variant: Variant) -> list[Say]:
    dev: list[Say] = [
        lambda a, c: f"{_subj(a)} {_verb(a, 'lives', 'live')} in {c}.",
        lambda a, c: _cap(f"{_poss(a)} home is in {c}."),
        lambda a, c: f"{_subj(a)} {_verb(a, 'has', 'have')} lived in {c} for years.",
        lambda a, c: f"{_subj(a)} {_verb(a, 'rents', 'rent')} a flat in {c}.",
    ]
    heldout: list[Say] = [
        lambda a, c: f"{_subj(a)} {_verb(a, 'resides', 'reside')} in {c}.",
        lambda a, c: f"{_subj(a)} moved to {c} and settled there.",
        lambda a, c: f"{c} is where {_subj(a)} {_verb(a, 'lives', 'live')} now.",
    ]
    return dev if variant == "dev" else heldout


def hq_phrasings(variant: Variant) -> list[Say]:
    dev: list[Say] = [
        lambda c, city: f"{c} is headquartered in {city}.",
        lambda c, city: f"{c}'s head office is in {city}.",
        lambda c, city: f"The headquarters of {c} are in {city}.",
    ]
    heldout: list[Say] = [
        lambda c, city: f"{c} is based in {city}.",
        lambda c, city: f"{c} runs its business from a main office in {city}.",
        lambda c, city: f"{city} is home to the head office of {c}.",
    ]
    return dev if variant == "dev" else heldout


def owns_phrasings(species: str, variant: Variant) -> list[Say]:
    dev: list[Say] = [
        lambda a, p: f"{_subj(a)} {_verb(a, 'has', 'have')} a {species} named {p}.",
        lambda a, p: f"{p} is {_poss(a)} {species}.",
        lambda a, p: f"{_subj(a)} {_verb(a, 'owns', 'own')} a {species} called {p}.",
    ]
    heldout: list[Say] = [
        lambda a, p: f"{_subj(a)} adopted a {species}, {p}, from a shelter.",
        lambda a, p: _cap(f"{_poss(a)} pet {species} is called {p}."),
        lambda a, p: f"{p} the {species} belongs to {_obj(a)}.",
    ]
    return dev if variant == "dev" else heldout


def friend_phrasings(variant: Variant) -> list[Say]:
    dev: list[Say] = [
        lambda a, b: f"{_subj(a)} {_be(a)} friends with {_obj(b)}.",
        lambda a, b: f"{_subj(a)} and {_obj(b)} are good friends.",
        lambda a, b: f"{_subj(b)} {_be(b)} a close friend of {_obj(a)}.",
    ]
    heldout: list[Say] = [
        lambda a, b: f"{_subj(a)} and {_obj(b)} have been friends since school.",
        lambda a, b: f"{_subj(a)} often {_verb(a, 'meets', 'meet')} {_obj(b)} for coffee.",
        lambda a, b: f"{_subj(b)} {_be(b)} one of {_poss(a)} best friends.",
    ]
    return dev if variant == "dev" else heldout


def hobby_phrasings(variant: Variant) -> list[Say]:
    dev: list[Say] = [
        lambda a, h: f"{_subj(a)} {_verb(a, 'enjoys', 'enjoy')} {h}.",
        lambda a, h: _cap(f"{_poss(a)} favourite hobby is {h}."),
        lambda a, h: f"{_subj(a)} {_verb(a, 'spends', 'spend')} weekends on {h}.",
    ]
    heldout: list[Say] = [
        lambda a, h: f"{_subj(a)} took up {h} last year.",
        lambda a, h: f"{_subj(a)} {_be(a)} passionate about {h}.",
        lambda a, h: f"{_subj(a)} {_verb(a, 'loves', 'love')} {h}.",
    ]
    return dev if variant == "dev" else heldout


DISTRACTORS_ABOUT_PEOPLE: list[Say] = [
    lambda a, x: f"{_subj(a)} {_verb(a, 'prefers', 'prefer')} tea over coffee.",
    lambda a, x: f"{_subj(a)} {_be(a)} training for a half marathon.",
    lambda a, x: f"{_subj(a)} {_verb(a, 'wants', 'want')} to visit {x} next summer.",
    lambda a, x: f"{_subj(a)} {_verb(a, 'is', 'am')} learning Portuguese.",
    lambda a, x: f"{_subj(a)} read a novel about a sister who lives abroad.",
    lambda a, x: f"{_subj(a)} {_verb(a, 'thinks', 'think')} the boss works too hard.",
    lambda a, x: f"{_subj(a)} bought a new bike in {x}.",
    lambda a, x: f"{_subj(a)} {_verb(a, 'is', 'am')} allergic to shellfish.",
    lambda a, x: f"{_subj(a)} {_verb(a, 'wants', 'want')} to see the family more often.",
    lambda a, x: f"{_subj(a)} gave a talk about married life at a wedding in {x}.",
    lambda a, x: f"{_subj(a)} {_verb(a, 'dreams', 'dream')} of owning a company one day.",
    lambda a, x: f"{_subj(a)} had a job interview in {x}.",
]
DISTRACTORS_ABOUT_PLACES: list[Callable[[str], str]] = [
    lambda c: f"{c} had a heatwave last summer.",
    lambda c: f"The trams in {c} are being replaced.",
    lambda c: f"A new company opened an office near the station in {c}.",
    lambda c: f"Rents in {c} went up again this year.",
]
DISTRACTORS_ABOUT_COMPANIES: list[Callable[[str], str]] = [
    lambda c: f"{c} released its annual report.",
    lambda c: f"{c} is hiring managers for a new team.",
    lambda c: f"{c} moved part of its staff to a new city.",
]


# ---- world ------------------------------------------------------------------------------


def build(seed: int, variant: Variant = "dev", people: int = 150, distractors: int = 500) -> World:
    """One user's world: people, their relations as facts, and the questions."""
    rng = random.Random(f"{seed}-{variant}")
    cast = _people(rng, people)
    companies = rng.sample(COMPANIES, 20)
    hq = {c: rng.choice(CITIES) for c in companies}
    _assign(rng, cast, companies)
    facts, edge_fact = _facts(rng, cast, hq, variant, distractors)
    questions = _questions(rng, cast, hq, edge_fact, variant)
    return World(cast, hq, facts, questions, edge_fact)


def _people(rng: random.Random, count: int) -> dict[str, Person]:
    cast: dict[str, Person] = {SELF: Person(SELF, rng.choice("fm"))}
    while len(cast) < count + 1:
        gender = rng.choice("fm")
        first = rng.choice(FEMALE if gender == "f" else MALE)
        name = f"{first} {rng.choice(LAST)}"
        cast.setdefault(name, Person(name, gender))
    return cast


def _assign(rng: random.Random, cast: dict[str, Person], companies: Sequence[str]) -> None:
    names = list(cast)
    others = [n for n in names if n != SELF]
    for person in cast.values():
        person.city = rng.choice(CITIES)
        person.company = rng.choice(companies)
        if rng.random() < 0.6 or person.name == SELF:
            person.pet, person.species = rng.choice(PETS) + "", rng.choice(SPECIES)
        person.hobbies = rng.sample(HOBBIES, rng.choice((1, 2, 2)))
    # Pet names must name one pet each (a question about "Biscuit" has one answer).
    used: dict[str, int] = {}
    for person in cast.values():
        if person.pet:
            used[person.pet] = used.get(person.pet, 0) + 1
            if used[person.pet] > 1:
                person.pet = f"{person.pet} {_roman(used[person.pet])}"
    # Families: siblings share a last name (other families may share it too).
    by_last: dict[str, list[str]] = {}
    for name in others:
        by_last.setdefault(name.split()[1], []).append(name)
    for members in by_last.values():
        rng.shuffle(members)
        start = 0
        while start < len(members):
            size = rng.choice((1, 2, 2, 3, 4))
            family = members[start : start + size]
            start += size
            for a in family:
                cast[a].siblings = [b for b in family if b != a]
    # The user has a sibling or two among the cast (new surnames are fine: a married name).
    # (one sister and one brother, so "my sister" and "my brother" each have one answer).
    lonely = [n for n in others if not cast[n].siblings]
    mine = [next(n for n in lonely if cast[n].gender == g) for g in "fm"]
    _siblings(cast, [SELF, *mine])
    # Spouses: pairs of opposite gender from different families, the user always married.
    free = [n for n in others if not cast[n].spouse]
    rng.shuffle(free)
    partner = next(n for n in free if cast[n].gender != cast[SELF].gender and n not in mine)
    _marry(cast, SELF, partner)
    if not cast[partner].siblings:  # in-laws, for "my wife's brother" questions
        lonely = [n for n in others if not cast[n].siblings and n not in (partner, *mine)]
        _siblings(cast, [partner, *rng.sample(lonely, 2)])
    # The user's in-laws: the partner gets a sibling who is married (3-hop self questions).
    for name in free:
        if cast[name].spouse or rng.random() < 0.45:
            continue
        match = next(
            (
                m
                for m in free
                if not cast[m].spouse
                and cast[m].gender != cast[name].gender
                and m not in cast[name].siblings
                and m != name
            ),
            None,
        )
        if match:
            _marry(cast, name, match)
    # Managers: within a company, a few managers each with several reports.
    for company in companies:
        staff = [n for n in names if cast[n].company == company]
        rng.shuffle(staff)
        staff.sort(key=lambda n: n == SELF)  # the user has a boss (and is nobody's)
        bosses = staff[: max(1, len(staff) // 4)]
        for n in staff[len(bosses) :]:
            cast[n].boss = rng.choice(bosses)
        if len(bosses) > 1:
            for b in bosses[1:]:
                cast[b].boss = bosses[0]
    # Friends: a few each, symmetric.
    for name in names:
        for other in rng.sample(others, rng.choice((0, 1, 2, 2))):
            if other != name and other not in cast[name].friends:
                cast[name].friends.append(other)
                cast[other].friends.append(name)


def _siblings(cast: dict[str, Person], family: Sequence[str]) -> None:
    for a in family:
        cast[a].siblings = [b for b in family if b != a]


def _marry(cast: dict[str, Person], a: str, b: str) -> None:
    cast[a].spouse, cast[b].spouse = b, a


def _roman(n: int) -> str:
    return {2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}.get(n, str(n))


def _facts(
    rng: random.Random,
    cast: dict[str, Person],
    hq: dict[str, str],
    variant: Variant,
    distractors: int,
) -> tuple[list[Fact], dict[tuple[str, str, str], str]]:
    v = 0 if variant == "dev" else 1
    facts: list[Fact] = []
    edge_fact: dict[tuple[str, str, str], str] = {}
    seen: set[str] = set()

    def person(name: str) -> dict[str, str]:
        return {"name": name, "type": "Person"}

    def add(
        text: str,
        ents: list[dict[str, str]],
        rel: tuple[str, str, str] | None,
        keys: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        if text in seen:
            return
        seen.add(text)
        relations = (
            [] if rel is None else [dict(zip(("source", "relation", "target"), rel, strict=False))]
        )
        facts.append(Fact(text, ents, relations))
        for key in keys:
            edge_fact[key] = text

    def pick(phrasings: list[Say]) -> Say:
        return rng.choice(phrasings)

    done_pairs: set[frozenset[str]] = set()
    for p in cast.values():
        a = p.name
        add(
            pick(lives_phrasings(variant))(a, p.city),
            [person(a), {"name": p.city, "type": "City"}],
            (a, TYPES["lives"][v], p.city),
            [(a, "lives", p.city)],
        )
        add(
            pick(works_phrasings(variant))(a, p.company),
            [person(a), {"name": p.company, "type": "Organization"}],
            (a, TYPES["works"][v], p.company),
            [(a, "works", p.company)],
        )
        if p.pet:
            add(
                pick(owns_phrasings(p.species, variant))(a, p.pet),
                [person(a), {"name": p.pet, "type": "Pet"}],
                (a, TYPES["owns"][v], p.pet),
                [(a, "owns", p.pet)],
            )
        for h in p.hobbies:
            add(
                pick(hobby_phrasings(variant))(a, h),
                [person(a), {"name": h, "type": "Activity"}],
                (a, TYPES["hobby"][v], h),
            )
        for b in p.siblings:
            pair = frozenset((a, b))
            if pair in done_pairs:
                continue
            done_pairs.add(pair)
            # Stored from either side: the source is the sibling the type names.
            src, dst = (a, b) if rng.random() < 0.5 else (b, a)
            role = _role("sibling", cast[src].gender)
            add(
                pick(sibling_phrasings(role, variant))(src, dst),
                [person(src), person(dst)],
                (src, TYPES[role][v], dst),
                [(src, "sibling", dst), (dst, "sibling", src)],
            )
        if p.spouse and frozenset((a, p.spouse)) not in done_pairs:
            b = p.spouse
            done_pairs.add(frozenset((a, b)))
            src, dst = (a, b) if rng.random() < 0.5 else (b, a)
            add(
                pick(spouse_phrasings(_role("spouse", cast[dst].gender), variant))(src, dst),
                [person(src), person(dst)],
                (src, TYPES["spouse"][v], dst),
                [(src, "spouse", dst), (dst, "spouse", src)],
            )
        if p.boss:
            if rng.random() < 0.5:
                text = pick(manages_phrasings(variant))(p.boss, a)
                rel = (p.boss, TYPES["manages"][v], a)
            else:
                text = pick(reports_phrasings(variant))(a, p.boss)
                rel = (a, TYPES["reports"][v], p.boss)
            add(text, [person(a), person(p.boss)], rel, [(a, "boss", p.boss)])
        for b in p.friends:
            if frozenset((a, b, "friend")) in done_pairs:
                continue
            done_pairs.add(frozenset((a, b, "friend")))
            add(
                pick(friend_phrasings(variant))(a, b),
                [person(a), person(b)],
                (a, TYPES["friend"][v], b),
            )
    for company, city in hq.items():
        add(
            pick(hq_phrasings(variant))(company, city),
            [{"name": company, "type": "Organization"}, {"name": city, "type": "City"}],
            (company, TYPES["hq"][v], city),
            [(company, "hq", city)],
        )
    names = list(cast)
    companies = list(hq)
    while distractors > 0:
        roll = rng.random()
        if roll < 0.75:
            a, x = rng.choice(names), rng.choice(CITIES)
            text = rng.choice(DISTRACTORS_ABOUT_PEOPLE)(a, x)
            ents = [person(a)] + ([{"name": x, "type": "City"}] if x in text else [])
        elif roll < 0.9:
            x = rng.choice(CITIES)
            text, ents = rng.choice(DISTRACTORS_ABOUT_PLACES)(x), [{"name": x, "type": "City"}]
        else:
            x = rng.choice(companies)
            text = rng.choice(DISTRACTORS_ABOUT_COMPANIES)(x)
            ents = [{"name": x, "type": "Organization"}]
        if text not in seen:
            distractors -= 1
        add(text, ents, None)
    rng.shuffle(facts)
    return facts, edge_fact


# ---- questions --------------------------------------------------------------------------

# Hops a question can take from a person: (key, role word for the path so far).
Step = tuple[str, str]


def _one(values: Sequence[str]) -> str | None:
    return values[0] if len(values) == 1 else None


class _Paths:
    """Unique one-hop answers in the world, each with the fact that states it."""

    def __init__(self, cast: dict[str, Person], hq: dict[str, str], edge_fact: dict) -> None:
        self.cast, self.hq, self.edge_fact = cast, hq, edge_fact

    def sister(self, a: str) -> str | None:
        return _one([s for s in self.cast[a].siblings if self.cast[s].gender == "f"])

    def brother(self, a: str) -> str | None:
        return _one([s for s in self.cast[a].siblings if self.cast[s].gender == "m"])

    def spouse(self, a: str) -> str | None:
        return self.cast[a].spouse

    def boss(self, a: str) -> str | None:
        return self.cast[a].boss

    def fact(self, a: str, kind: str, b: str) -> str:
        return self.edge_fact[(a, kind, b)]

    def role_step(self, a: str, role: str) -> tuple[str, str] | None:
        """(who, fact) for a's `role` (sister, brother, wife, husband, boss), if unique."""
        if role in ("sister", "brother"):
            b = self.sister(a) if role == "sister" else self.brother(a)
            return (b, self.fact(a, "sibling", b)) if b else None
        if role in ("wife", "husband"):
            b = self.spouse(a)
            if b is None or _role("spouse", self.cast[b].gender) != role:
                return None
            return b, self.fact(a, "spouse", b)
        b = self.boss(a)
        return (b, self.fact(a, "boss", b)) if b else None

    def chain_ok(self, a: str, role: str, b: str, role2: str) -> bool:
        """a's role is b; is "b's role2" a new person (not a, not the user, not a sibling
        of a sibling: "my sister's brother" is family, not a question)?"""
        siblings = ("sister", "brother")
        if role in siblings and role2 in siblings:
            return False
        step = self.role_step(b, role2)
        return step is not None and step[0] not in (a, SELF)

    def roles(self, a: str) -> list[str]:
        """The role words with a unique answer for a."""
        out = []
        for role in ("sister", "brother", "wife", "husband", "boss"):
            if self.role_step(a, role):
                out.append(role)
        return out


def _questions(
    rng: random.Random,
    cast: dict[str, Person],
    hq: dict[str, str],
    edge_fact: dict[tuple[str, str, str], str],
    variant: Variant,
) -> list[Question]:
    paths = _Paths(cast, hq, edge_fact)
    forms = QUESTIONS[variant]
    others = [n for n in cast if n != SELF]
    out: list[Question] = []

    def end_steps(x: str) -> list[tuple[str, str, str]]:
        """(template key, answer, fact) for the last hop from person x."""
        p = cast[x]
        steps = [("live", p.city, paths.fact(x, "lives", p.city))]
        steps.append(("work", p.company, paths.fact(x, "works", p.company)))
        if p.pet:
            steps.append(("pet", p.pet, paths.fact(x, "owns", p.pet)))
        if p.spouse:
            steps.append(("married", p.spouse, paths.fact(x, "spouse", p.spouse)))
        return steps

    def company_hq(x: str) -> tuple[str, list[str]]:
        c = cast[x].company
        return hq[c], [paths.fact(x, "works", c), paths.fact(c, "hq", hq[c])]

    def ask(kind: Kind, key: str, gold: list[str], answer: str, **slots: str) -> None:
        text = rng.choice(forms[key]).format(**slots)
        out.append(Question(kind, text, gold, answer))

    rng.shuffle(others)
    # hop1: one fact; hop2: role then an end step; hop3: role, role or role, company, hq.
    for x in others[:60]:
        key, answer, fact = rng.choice(end_steps(x))
        ask("hop1", "1_" + key, [fact], answer, p=x)
    for x in others[:45]:
        roles = paths.roles(x)
        if roles:
            role = rng.choice(roles)
            who, fact = paths.role_step(x, role)  # type: ignore[misc]
            ask("hop1", "1_role", [fact], who, p=x, role=role)
    for c, city in list(hq.items())[:8]:
        ask("hop1", "1_hq", [paths.fact(c, "hq", city)], city, c=c)
    for x in others[:140]:
        roles = paths.roles(x)
        if not roles:
            continue
        role = rng.choice(roles)
        who, first = paths.role_step(x, role)  # type: ignore[misc]
        if who == SELF:
            continue
        steps = [s for s in end_steps(who) if s[1] != x]
        key, answer, fact = rng.choice(steps)
        ask("hop2", "2_" + key, [first, fact], answer, p=x, role=role)
    for x in others[:20]:
        city, gold = company_hq(x)
        ask("hop2", "2_company_hq", gold, city, p=x)
    for x in others:
        roles = paths.roles(x)
        if not roles:
            continue
        role = rng.choice(roles)
        who, first = paths.role_step(x, role)  # type: ignore[misc]
        if who == SELF:
            continue
        if rng.random() < 0.5:
            city, gold = company_hq(who)
            ask("hop3", "3_company_hq", [first, *gold], city, p=x, role=role)
            continue
        roles2 = [r for r in paths.roles(who) if paths.chain_ok(x, role, who, r)]
        if not roles2:
            continue
        role2 = rng.choice(roles2)
        who2, second = paths.role_step(who, role2)  # type: ignore[misc]
        steps = [s for s in end_steps(who2) if s[1] not in (x, who)]
        key, answer, fact = rng.choice(steps)
        ask("hop3", "3_" + key, [first, second, fact], answer, p=x, role=role, role2=role2)
    out.extend(_self_questions(rng, paths, forms))
    return out


def _self_questions(
    rng: random.Random, paths: _Paths, forms: dict[str, list[str]]
) -> list[Question]:
    """About the user: 1 to 3 hops from the self; every path the world allows, each once."""
    cast = paths.cast
    me = cast[SELF]
    out: list[Question] = []

    def ask(key: str, gold: list[str], answer: str, **slots: str) -> None:
        for template in forms[key]:
            out.append(Question("self", template.format(**slots), gold, answer))

    ask("s1_live", [paths.fact(SELF, "lives", me.city)], me.city)
    ask("s1_work", [paths.fact(SELF, "works", me.company)], me.company)
    if me.pet:
        ask("s1_pet", [paths.fact(SELF, "owns", me.pet)], me.pet)
    ask("s2_company_hq", [paths.fact(SELF, "works", me.company),
                          paths.fact(me.company, "hq", paths.hq[me.company])],
        paths.hq[me.company])  # fmt: skip
    for role in paths.roles(SELF):
        who, first = paths.role_step(SELF, role)  # type: ignore[misc]
        ask("s1_role", [first], who, role=role)
        p = cast[who]
        ask("s2_live", [first, paths.fact(who, "lives", p.city)], p.city, role=role)
        ask("s2_work", [first, paths.fact(who, "works", p.company)], p.company, role=role)
        if p.pet:
            ask("s2_pet", [first, paths.fact(who, "owns", p.pet)], p.pet, role=role)
        c = p.company
        hq_fact = paths.fact(c, "hq", paths.hq[c])
        ask("s3_company_hq", [first, paths.fact(who, "works", c), hq_fact], paths.hq[c], role=role)
        if p.spouse and role != "wife" and role != "husband":
            ask("s2_married", [first, paths.fact(who, "spouse", p.spouse)], p.spouse, role=role)
        for role2 in paths.roles(who):
            if not paths.chain_ok(SELF, role, who, role2):
                continue
            who2, second = paths.role_step(who, role2)  # type: ignore[misc]
            q = cast[who2]
            ask("s3_live", [first, second, paths.fact(who2, "lives", q.city)], q.city,
                role=role, role2=role2)  # fmt: skip
            if q.spouse and q.spouse not in (SELF, who):
                fact = paths.fact(who2, "spouse", q.spouse)
                ask("s3_married", [first, second, fact], q.spouse, role=role, role2=role2)
    rng.shuffle(out)
    return out


QUESTIONS: dict[Variant, dict[str, list[str]]] = {
    "dev": {
        "1_live": ["Where does {p} live?", "Which city does {p} live in?"],
        "1_work": ["Which company does {p} work for?", "Where does {p} work?"],
        "1_pet": ["What is the name of {p}'s pet?", "What pet does {p} have?"],
        "1_married": ["Who is {p} married to?"],
        "1_role": ["Who is {p}'s {role}?"],
        "1_hq": ["Where is {c} headquartered?"],
        "2_live": ["Where does {p}'s {role} live?", "Which city does {p}'s {role} live in?"],
        "2_work": ["Where does {p}'s {role} work?", "Which company does {p}'s {role} work for?"],
        "2_pet": ["What is the name of {p}'s {role}'s pet?"],
        "2_married": ["Who is {p}'s {role} married to?"],
        "2_company_hq": ["Where is the company {p} works for headquartered?"],
        "3_company_hq": ["In which city is the company that {p}'s {role} works for headquartered?"],
        "3_live": ["Where does {p}'s {role}'s {role2} live?"],
        "3_work": ["Where does {p}'s {role}'s {role2} work?"],
        "3_pet": ["What is the name of {p}'s {role}'s {role2}'s pet?"],
        "3_married": ["Who is {p}'s {role}'s {role2} married to?"],
        "s1_live": ["Where do I live?"],
        "s1_work": ["Which company do I work for?"],
        "s1_role": ["Who is my {role}?"],
        "s2_live": ["Where does my {role} live?"],
        "s2_work": ["Where does my {role} work?"],
        "s2_pet": ["What is my {role}'s pet called?"],
        "s1_pet": ["What is my pet called?"],
        "s2_married": ["Who is my {role} married to?"],
        "s2_company_hq": ["Where is my company headquartered?"],
        "s3_company_hq": ["In which city is the company my {role} works for headquartered?"],
        "s3_live": ["Where does my {role}'s {role2} live?"],
        "s3_married": ["Who is my {role}'s {role2} married to?"],
    },
    "heldout": {
        "1_live": ["In which city is {p}'s home?"],
        "1_work": ["Who is {p}'s employer?"],
        "1_pet": ["What animal does {p} keep, and what is it called?"],
        "1_married": ["Who is {p}'s spouse?"],
        "1_role": ["Name {p}'s {role}."],
        "1_hq": ["In which city is {c} based?"],
        "2_live": ["In which city is {p}'s {role}'s home?"],
        "2_work": ["Who employs {p}'s {role}?"],
        "2_pet": ["What animal does {p}'s {role} keep?"],
        "2_married": ["Who is the spouse of {p}'s {role}?"],
        "2_company_hq": ["In which city is {p}'s employer based?"],
        "3_company_hq": ["Where is the employer of {p}'s {role} based?"],
        "3_live": ["In which city does the {role2} of {p}'s {role} reside?"],
        "3_work": ["Who employs the {role2} of {p}'s {role}?"],
        "3_pet": ["What animal does the {role2} of {p}'s {role} keep?"],
        "3_married": ["Who is the spouse of {p}'s {role}'s {role2}?"],
        "s1_live": ["In which city is my home?"],
        "s1_work": ["Who is my employer?"],
        "s1_role": ["Name my {role}."],
        "s2_live": ["In which city does my {role} reside?"],
        "s2_work": ["Who employs my {role}?"],
        "s2_pet": ["What animal does my {role} keep?"],
        "s1_pet": ["What animal do I keep?"],
        "s2_married": ["Who is the spouse of my {role}?"],
        "s2_company_hq": ["Where is my employer based?"],
        "s3_company_hq": ["Where is the employer of my {role} based?"],
        "s3_live": ["In which city does the {role2} of my {role} reside?"],
        "s3_married": ["Who is the spouse of my {role}'s {role2}?"],
    },
}


def kinds_count(questions: Sequence[Question]) -> dict[str, int]:
    counts = {k: 0 for k in KINDS}
    for q in questions:
        counts[q.kind] += 1
    return counts
