"""Names and life circumstances that code assigns, so a small model need not invent them."""

from __future__ import annotations

import random

FEMALE_NAMES = [
    "Aisha",
    "Amelia",
    "Ana",
    "Beatriz",
    "Chloe",
    "Claire",
    "Daniela",
    "Diane",
    "Elena",
    "Emma",
    "Fatima",
    "Grace",
    "Hannah",
    "Helen",
    "Ines",
    "Isla",
    "Jade",
    "Joanne",
    "Julia",
    "Karen",
    "Laura",
    "Leah",
    "Linda",
    "Lucy",
    "Maria",
    "Maya",
    "Megan",
    "Mei",
    "Nadia",
    "Naomi",
    "Niamh",
    "Olivia",
    "Priya",
    "Rachel",
    "Rosa",
    "Ruth",
    "Sarah",
    "Sofia",
    "Susan",
    "Tara",
    "Yasmin",
    "Zoe",
]
MALE_NAMES = [
    "Adam",
    "Ahmed",
    "Alex",
    "Andrew",
    "Ben",
    "Carlos",
    "Chris",
    "Daniel",
    "David",
    "Dev",
    "Ethan",
    "Farid",
    "George",
    "Hamza",
    "Harry",
    "Ian",
    "Jack",
    "James",
    "Jamal",
    "Jonah",
    "Kai",
    "Kevin",
    "Leo",
    "Luca",
    "Marcus",
    "Mark",
    "Matteo",
    "Mohammed",
    "Neil",
    "Oliver",
    "Omar",
    "Paul",
    "Peter",
    "Rahul",
    "Ravi",
    "Sam",
    "Simon",
    "Stephen",
    "Tom",
    "Tunde",
    "Will",
    "Yusuf",
]
NEUTRAL_NAMES = [
    "Alex",
    "Ash",
    "Charlie",
    "Jamie",
    "Jordan",
    "Morgan",
    "Riley",
    "Robin",
    "Sam",
    "Taylor",
]
SURNAMES = [
    "Adeyemi",
    "Ahmed",
    "Alvarez",
    "Bailey",
    "Baker",
    "Brown",
    "Campbell",
    "Chen",
    "Clarke",
    "Cohen",
    "Costa",
    "Davies",
    "Evans",
    "Fischer",
    "Garcia",
    "Green",
    "Hall",
    "Hughes",
    "Hussain",
    "Jackson",
    "Jones",
    "Kaur",
    "Khan",
    "Kowalski",
    "Lee",
    "Lewis",
    "Martin",
    "Mensah",
    "Moore",
    "Murphy",
    "Nguyen",
    "Novak",
    "O'Brien",
    "Patel",
    "Reid",
    "Roberts",
    "Robinson",
    "Rossi",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wright",
]
INCOME_BANDS = ("low", "below average", "average", "above average", "high")


def first_names(gender: str) -> list[str]:
    if gender.casefold() == "female":
        return FEMALE_NAMES
    if gender.casefold() == "male":
        return MALE_NAMES
    return NEUTRAL_NAMES


def education_for(age: int, rng: random.Random) -> str:
    """A highest qualification that is possible at this age."""
    options = ["secondary school", "vocational qualification"]
    if age >= 21:
        options += ["bachelor's degree", "bachelor's degree"]
    if age >= 23:
        options.append("master's degree")
    if age >= 27:
        options.append("doctorate")
    return rng.choice(options)


def household_for(age: int, rng: random.Random) -> str:
    """A household that is common at this age."""
    options = ["lives alone", "lives with a partner"]
    if age < 30:
        options += ["lives with parents", "shares a flat with friends"]
    if 25 <= age < 55:
        options += ["lives with a partner and young children", "single parent with children"]
    if age >= 45:
        options.append("lives with a partner and adult children")
    if age >= 55:
        options.append("lives with a partner; children have left home")
    return rng.choice(options)


def income_for(age: int, rng: random.Random) -> str:
    weights = (2, 3, 3, 2, 1) if age >= 30 else (3, 3, 3, 1, 0.5)
    return rng.choices(INCOME_BANDS, weights=weights)[0]
