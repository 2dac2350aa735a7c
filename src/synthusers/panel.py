"""Panel composition: the slots that meet the quotas, and the checks on the finished panel."""

from __future__ import annotations

import random
import re
from collections import Counter

from .demographics import SURNAMES, education_for, first_names, household_for, income_for
from .llm.client import derive_seed
from .persona import PanelMember, Persona, Slot
from .study import PanelSpec, parse_band


def allocate(shares: dict[str, float], size: int) -> dict[str, int]:
    """Split size by shares with the largest-remainder method: counts add up to size."""
    total = sum(shares.values())
    exact = {key: size * share / total for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    short = size - sum(counts.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - counts[key]), key))
    for key in by_remainder[:short]:
        counts[key] += 1
    return counts


def _spread(counts: dict[str, int], rng: random.Random) -> list[str]:
    values = [key for key, count in counts.items() for _ in range(count)]
    rng.shuffle(values)
    return values


def _unique_name(gender: str, rng: random.Random, taken: set[str]) -> str:
    names = first_names(gender)
    for _ in range(50):
        name = f"{rng.choice(names)} {rng.choice(SURNAMES)}"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{rng.choice(names)} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(SURNAMES)}"
    taken.add(name)
    return name


def plan_slots(spec: PanelSpec, seed: int) -> list[Slot]:
    """Decide each user's name, demographics and quota cell, reproducibly from the seed."""
    rng = random.Random(derive_seed("panel", seed))
    bands = _spread(allocate(spec.quotas.age, spec.size), rng)
    genders = _spread(allocate(spec.quotas.gender, spec.size), rng)
    taken: set[str] = set()
    slots = []
    for index, (band_label, gender) in enumerate(zip(bands, genders, strict=True), start=1):
        band = parse_band(band_label)
        age = rng.randint(band.low, band.high)
        slots.append(
            Slot(
                user_id=f"u{index:03d}",
                name=_unique_name(gender, rng, taken),
                age=age,
                age_band=band_label,
                gender=gender,
                income_band=income_for(age, rng),
                education=education_for(age, rng),
                household=household_for(age, rng),
                location=rng.choice(spec.locations) if spec.locations else None,
                seed=rng.getrandbits(31),
            )
        )
    return slots


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.casefold()))


def near_duplicates(personas: list[Persona], threshold: float = 0.7) -> list[tuple[str, str]]:
    """Pairs of personas whose bios share most of their words (Jaccard similarity)."""
    words = [(persona.id, _words(persona.bio)) for persona in personas]
    pairs = []
    for index, (first_id, first) in enumerate(words):
        for second_id, second in words[index + 1 :]:
            union = first | second
            if union and len(first & second) / len(union) >= threshold:
                pairs.append((first_id, second_id))
    return pairs


def panel_warnings(spec: PanelSpec, members: list[PanelMember]) -> list[str]:
    """What a researcher should know about the finished panel: quota gaps, clones, sameness."""
    warnings = []
    kept = sorted(
        (member for member in members if member.persona is not None),
        key=lambda member: member.slot.user_id,
    )
    cells = {
        "age": (spec.quotas.age, Counter(member.slot.age_band for member in kept)),
        "gender": (spec.quotas.gender, Counter(member.slot.gender for member in kept)),
    }
    for dimension, (shares, have) in cells.items():
        wanted = allocate(shares, spec.size)
        for cell, count in wanted.items():
            if have[cell] < count:
                warnings.append(f"quota {dimension} {cell}: {have[cell]} of {count} users")
    personas = [member.persona for member in kept if member.persona is not None]
    for first, second in near_duplicates(personas):
        warnings.append(f"users {first} and {second} have near-identical bios")
    if len(personas) >= 6:
        occupations = {persona.occupation.casefold() for persona in personas}
        if len(occupations) < len(personas) / 2:
            warnings.append(
                f"low diversity: {len(occupations)} distinct occupations among "
                f"{len(personas)} users"
            )
    return warnings


def quota_cells(members: list[PanelMember]) -> dict[str, int]:
    """How many kept users fall in each age band and each gender."""
    cells: Counter[str] = Counter()
    for member in members:
        if member.persona is not None:
            cells[f"age {member.slot.age_band}"] += 1
            cells[f"gender {member.slot.gender}"] += 1
    return dict(sorted(cells.items()))
