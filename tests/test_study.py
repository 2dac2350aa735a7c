from __future__ import annotations

from pathlib import Path

import pytest

from synthusers.errors import StudyError
from synthusers.study import load_study, parse_study

from .conftest import study_data

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_examples_are_valid(path: Path) -> None:
    study = load_study(path)
    assert study.panel.size >= 4
    assert len(study.ideas) >= 2


def test_at_least_two_examples() -> None:
    assert len(EXAMPLES) >= 2


def test_fixed_questions_get_ids() -> None:
    study = parse_study(study_data())
    questions = study.questions_for(study.ideas[0])
    assert questions is not None
    assert [question.id for question in questions] == ["q1", "q2", "q3", "q4"]


def test_idea_questions_replace_study_questions() -> None:
    ideas = [
        {"name": "A", "description": "first idea", "questions": [{"kind": "open", "text": "Why?"}]},
        {"name": "B", "description": "second idea"},
    ]
    study = parse_study(study_data(ideas=ideas, questions=None))
    assert [q.text for q in study.questions_for(study.ideas[0]) or []] == ["Why?"]
    assert study.questions_for(study.ideas[1]) is None


def _panel(**changes: object) -> dict[str, object]:
    panel = dict(study_data()["panel"])
    panel.update(changes)
    return panel


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (study_data(colour="blue"), "colour: unknown key"),
        (
            study_data(panel=_panel(size=-3)),
            "panel.size: Input should be greater than or equal to 1",
        ),
        (study_data(panel=_panel(size="many")), "panel.size: Input should be a valid integer"),
        (study_data(ideas=[]), "ideas: List should have at least 1 item"),
        (
            study_data(panel=_panel(quotas={"gender": {"female": 0.7, "male": 0.7}})),
            "panel.quotas.gender: gender shares must add up to 1, not 1.4",
        ),
        (
            study_data(panel=_panel(quotas={"age": {"18-40": 0.5, "30-60": 0.5}})),
            "age bands 18-40 and 30-60 overlap",
        ),
        (study_data(panel=_panel(quotas={"age": {"teens": 1.0}})), "must look like '18-34'"),
        ({"ideas": []}, "panel: required but missing"),
        (
            study_data(
                ideas=[{"name": "A", "description": "one"}, {"name": "a", "description": "two"}]
            ),
            "idea names must be distinct",
        ),
        (
            study_data(
                questions=[{"kind": "single_choice", "text": "Pick one", "options": ["x", "X"]}]
            ),
            "options must be distinct",
        ),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_study_gives_one_line(data: object, expected: str) -> None:
    with pytest.raises(StudyError) as caught:
        parse_study(data, "s.yaml")
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert message.startswith("s.yaml: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="file not found"):
        load_study(tmp_path / "nope.yaml")


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("panel:\n  size: 3\n ideas: [\n")
    with pytest.raises(StudyError, match=r"not valid YAML at line \d"):
        load_study(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="is a directory"):
        load_study(tmp_path)


def test_quota_counts_must_fit_the_panel() -> None:
    panel = {**study_data()["panel"], "size": 10, "quotas": {"gender": {"female": 12, "male": 3}}}
    with pytest.raises(StudyError, match="asks for 15 users but the panel has 10"):
        parse_study(study_data(panel=panel))
    panel["quotas"] = {"gender": {"female": 7, "male": 3}}
    study = parse_study(study_data(panel=panel))
    from synthusers.panel import plan_slots

    genders = [slot.gender for slot in plan_slots(study.panel, 1)]
    assert genders.count("female") == 7 and genders.count("male") == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("panel: {size: 2, audience: people, size: 50}\n", "key 'size' appears twice"),
        (
            "panel: {size: true, audience: people}\nideas: [{name: A, description: abc}]\n",
            "panel.size: Input should be a valid integer",
        ),
        (
            "panel: {size: '2', audience: people}\nideas: [{name: A, description: abc}]\n",
            "panel.size: Input should be a valid integer",
        ),
        (
            "panel: {size: 3, audience: people, quotas: {age: {'18-34': .nan, '35-54': 1}}}\n"
            "ideas: [{name: A, description: abc}]\n",
            "Input should be a finite number",
        ),
        (
            "panel: {size: 3, audience: people, quotas: {gender: {female: .5, FEMALE: .5}}}\n"
            "ideas: [{name: A, description: abc}]\n",
            "differ by more than case",
        ),
        (
            "panel: {size: 3, audience: people}\nideas: [{name: A, description: abc}, "
            "{name: 'A ', description: abc}]\n",
            "idea names must be distinct",
        ),
        (
            "panel: {size: 3, audience: people}\nideas: [{name: A, description: abc}]\n"
            "model: garbage\n",
            "unknown model 'garbage'",
        ),
        (
            "panel: {size: 3, audience: people}\nideas: [{name: A, description: abc}]\n"
            "model: 'fake:inf'\n",
            "give fake's latency in seconds",
        ),
        (
            "panel: {size: 3, audience: people}\nideas: [{name: A, description: abc}]\n"
            "questions: [{kind: open, text: 'Why?', id: q2}, {kind: open, text: 'How?', id: q2}]\n",
            "questions with the same id: q2",
        ),
    ],
)
def test_strict_study_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(StudyError, match=expected):
        load_study(path)


def test_assigned_question_ids_never_reuse_given_ones() -> None:
    questions = [
        {"kind": "open", "text": "Why?", "id": "q2"},
        {"kind": "open", "text": "How?"},
        {"kind": "open", "text": "When?"},
    ]
    study = parse_study(study_data(questions=questions))
    ids = [question.id for question in study.questions_for(study.ideas[0]) or []]
    assert ids == ["q2", "q3", "q4"]


def test_special_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="not a regular file"):
        load_study("/dev/zero")
    big = tmp_path / "big.yaml"
    big.write_text("#" * 1_000_001)
    with pytest.raises(StudyError, match="larger than"):
        load_study(big)
