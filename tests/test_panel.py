from __future__ import annotations

from collections import Counter

import pytest

from synthusers.panel import allocate, near_duplicates, plan_slots
from synthusers.persona import Persona
from synthusers.study import PanelSpec, Quotas

from .conftest import make_persona


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 99])
def test_allocate_adds_up(size: int) -> None:
    counts = allocate({"a": 0.35, "b": 0.4, "c": 0.25}, size)
    assert sum(counts.values()) == size
    for key, share in {"a": 0.35, "b": 0.4, "c": 0.25}.items():
        assert abs(counts[key] - share * size) < 1


def test_slots_meet_quotas_and_are_repeatable() -> None:
    spec = PanelSpec(
        size=10,
        audience="anyone",
        quotas=Quotas(
            age={"18-29": 0.3, "30-49": 0.5, "50-70": 0.2}, gender={"female": 0.6, "male": 0.4}
        ),
    )
    slots = plan_slots(spec, seed=3)
    assert Counter(slot.age_band for slot in slots) == {"18-29": 3, "30-49": 5, "50-70": 2}
    assert Counter(slot.gender for slot in slots) == {"female": 6, "male": 4}
    for slot in slots:
        low, high = map(int, slot.age_band.split("-"))
        assert low <= slot.age <= high
    assert len({slot.name for slot in slots}) == 10
    assert plan_slots(spec, seed=3) == slots
    assert plan_slots(spec, seed=4) != slots


def test_education_fits_age() -> None:
    spec = PanelSpec(size=200, audience="anyone", quotas=Quotas(age={"18-22": 1.0}))
    for slot in plan_slots(spec, seed=1):
        if slot.age < 27:
            assert slot.education != "doctorate"
        if slot.age < 21:
            assert "degree" not in slot.education


def _persona(pid: str, bio: str) -> Persona:
    return make_persona(id=pid, bio=bio)


def test_near_duplicates() -> None:
    people = [
        _persona("u1", "She runs a bakery in town and loves early mornings"),
        _persona("u2", "She runs a bakery in town and loves early mornings too"),
        _persona("u3", "He drives a lorry across Europe and misses home"),
    ]
    assert near_duplicates(people) == [("u1", "u2")]
