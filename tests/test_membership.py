"""The join form's rules, as a person filling it in meets them."""

from __future__ import annotations

from datetime import UTC, datetime

from mentoring.membership import JoinAnswers, JoinForm, validate_join
from store.models import Role

SKILLS = ["Public speaking", "System design", "Leadership"]


def check(**answers: object) -> tuple[JoinForm | None, dict[str, str]]:
    base: dict[str, object] = {
        "role": "mentee",
        "skills_wanted": ["Public speaking"],
        "department": "Engineering",
        "consent": True,
    }
    base.update(answers)
    return validate_join(JoinAnswers(**base), skills=SKILLS, max_capacity=5)  # type: ignore[arg-type]


def test_a_complete_mentee_answer_is_accepted() -> None:
    form, errors = check(goals="  Speak at the all-hands  ")
    assert errors == {}
    assert form is not None
    assert form.role is Role.MENTEE
    assert form.goals == "Speak at the all-hands"
    assert form.capacity is None
    fields = form.fields(consented_at=datetime(2026, 11, 23, tzinfo=UTC))
    assert fields["consent_version"] and fields["role"] == "mentee"


def test_no_role_is_an_error_on_the_role_field() -> None:
    form, errors = check(role=None)
    assert form is None
    assert set(errors) == {"role"}


def test_a_forged_role_is_refused() -> None:
    _, errors = check(role="admin")
    assert "role" in errors


def test_mentor_needs_capacity_in_range_and_a_skill() -> None:
    _, errors = check(role="mentor", skills_offered=[], capacity="0")
    assert set(errors) == {"skills_offered", "capacity"}
    assert "1 to 5" in errors["capacity"]
    _, errors = check(role="mentor", skills_offered=["Leadership"], capacity="6")
    assert set(errors) == {"capacity"}
    _, errors = check(role="mentor", skills_offered=["Leadership"], capacity="two")
    assert set(errors) == {"capacity"}
    form, errors = check(role="mentor", skills_offered=["Leadership"], capacity="3")
    assert errors == {} and form is not None and form.capacity == 3


def test_capacity_is_ignored_for_people_who_are_not_mentors() -> None:
    form, errors = check(role="peer", capacity="99")
    assert errors == {}
    assert form is not None and form.capacity is None


def test_text_over_the_limits_is_refused_with_the_count() -> None:
    _, errors = check(goals="x" * 1001, department="d" * 81)
    assert set(errors) == {"goals", "department"}
    assert "1001" in errors["goals"]


def test_skills_must_come_from_the_programme_list() -> None:
    _, errors = check(skills_wanted=["Juggling"])
    assert errors == {"skills_wanted": "Pick skills from this programme's list."}


def test_consent_is_required() -> None:
    form, errors = check(consent=False)
    assert form is None and set(errors) == {"consent"}


def test_control_characters_are_stripped_and_department_spaces_folded() -> None:
    form, errors = check(goals="grow\x00 fast\x07", department="  Data   Science ")
    assert errors == {}
    assert form is not None
    assert form.goals == "grow fast"
    assert form.department == "Data Science"
