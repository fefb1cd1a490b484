"""The rest of the check-in loop that people answer: the pause question, the pulse, the exit reflection and the
choice, as the cycle ends, to go on together."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import checkins as checkin_ui
from blocks import stories as story_ui
from blocks.text import escape
from handlers.checkins import answered, clicked_match
from handlers.common import int_or_none, metadata, open_modal_for, selected_all, state_value, team_of, tell, user_of
from handlers.deps import deps_of
from handlers.skillgrowth import levels_of
from mentoring import checkins, skillgrowth, stories, surveys
from mentoring.surveys import Answers
from store import queries
from store.db import Session
from store.models import ParticipantStatus, SkillStage, SurveyKind
from store.types import utcnow

logger = logging.getLogger(__name__)

PAUSE_FOR = timedelta(days=30)
STAGES = {SurveyKind.PULSE: SkillStage.PULSE, SurveyKind.EXIT: SkillStage.EXIT}  # when skills are rated again
ENDED = "That belongs to a match you're not in (or one that has ended)."


def on_pause(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Pause for a month', asked after three unanswered check-ins."""
    clicked = clicked_match(ack, body, client, context, ENDED)
    if clicked is None:
        return
    deps, match, programme, _ = clicked
    until = (utcnow() + PAUSE_FOR).date()
    with deps.db.begin() as session:
        queries.set_status(
            session=session,
            team_id=match.team_id,
            user_id=user_of(body),
            status=ParticipantStatus.PAUSED,
            reason="self",
            paused_until=until,
            programme_id=programme.id,
            only_from=(ParticipantStatus.ACTIVE,),
        )
    tell(
        client,
        body,
        f"Done: you're paused in *{escape(programme.name)}* until {until.isoformat()}. No check-ins until then; "
        "I'll message you once when the pause ends. `/mentor resume` any time.",
        replace=True,
    )


def on_keep(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    clicked = clicked_match(ack, body, client, context, ENDED)
    if clicked is None:
        return
    deps, match, _programme, _ = clicked
    answered(deps, match, user_of(body))
    tell(client, body, "Great, you stay in. The next check-in comes on the usual cadence.", replace=True)


def on_open(kind: SurveyKind) -> Any:
    def open_survey(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
        clicked = clicked_match(ack, body, client, context, ENDED)
        if clicked is None:
            return
        deps, match, programme, _ = clicked
        answered(deps, match, user_of(body))
        match_id = match.id or 0
        with deps.db.session() as session:
            rating = skillgrowth.target(session=session, programme=programme, user_id=user_of(body), stage=STAGES[kind])
            offer = stories.exit_offer(
                session=session, team_id=match.team_id, user_id=user_of(body), programme_id=programme.id or 0,
                match_id=match_id,
            )  # fmt: skip
        modal = checkin_ui.pulse_modal(match_id, rating) if kind is SurveyKind.PULSE else None
        open_modal_for(client, body, modal or checkin_ui.exit_modal(match_id, rating, offer))

    return open_survey


def _choice(view: dict[str, Any], block_id: str) -> str:
    return str((state_value(view, block_id).get("selected_option") or {}).get("value") or "")


def _text(view: dict[str, Any], block_id: str) -> str:
    return str(state_value(view, block_id).get("value") or "").strip()


def _answers(kind: SurveyKind, view: dict[str, Any]) -> tuple[Answers | None, dict[str, str]]:
    """The answers a submitted pulse or exit reflection holds, and the errors to show inline."""
    errors: dict[str, str] = {}
    rating = int_or_none(_choice(view, "rating"))
    if rating is None or not 1 <= rating <= 5:
        errors["rating"] = "Pick one."
    progress = would_continue = None
    blocking = what_changed = ""
    if kind is SurveyKind.PULSE:
        progress = int_or_none(_choice(view, "progress"))
        if progress is None or not 1 <= progress <= 5:
            errors["progress"] = "Pick one."
        blocking = _text(view, "blocking")
        if len(blocking) > checkin_ui.MAX_SURVEY_TEXT:
            errors["blocking"] = f"At most {checkin_ui.MAX_SURVEY_TEXT} characters."
    else:
        answer = _choice(view, "would_continue")
        if answer not in ("yes", "no"):
            errors["would_continue"] = "Pick yes or no."
        would_continue = answer == "yes"
        what_changed = _text(view, "what_changed")
        if len(what_changed) > checkin_ui.MAX_SURVEY_TEXT:
            errors["what_changed"] = f"At most {checkin_ui.MAX_SURVEY_TEXT} characters."
        if stories.EXIT_CHOICE in selected_all(view, story_ui.STORY_BLOCK) and not what_changed:
            errors[story_ui.STORY_BLOCK] = "Write what changed for you first, or untick sharing it as a story."
    if rating is None:
        return None, errors
    return Answers(rating, progress, would_continue, blocking, what_changed), errors


def _save_story_choices(session: Session, view: dict[str, Any], *, team_id: str, user_id: str, answer_id: int) -> None:
    """The exit reflection's success-story choices: the growth threads it offered (its metadata) and those ticked."""
    offered = [str(k) for k in metadata(view).get("stories") or [] if isinstance(k, str)]
    ticked = selected_all(view, story_ui.STORY_BLOCK)
    stories.save_exit_choices(
        session=session, team_id=team_id, user_id=user_id, answer_id=answer_id, offered=offered, chosen=ticked,
        now=utcnow(),
    )  # fmt: skip


def on_submit(kind: SurveyKind) -> Any:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
        deps = deps_of(context)
        team_id, user_id = team_of(body, context), user_of(body)
        answers, errors = _answers(kind, view)
        skills, levels = levels_of(view)
        errors |= skillgrowth.problems(skills, levels, optional=True)
        with deps.db.session() as session:
            found = checkins.named_match(session=session, match_id=int_or_none(metadata(view).get("match_id")))
        if found is None or not found.has(team_id=team_id, user_id=user_id):
            errors = {"rating": "This survey belongs to a match you're not in."}
        if errors or found is None or found.programme is None or answers is None:
            ack(response_action="errors", errors=errors)
            return
        with deps.db.begin() as session:
            row = surveys.save_answers(
                session=session, team_id=team_id, programme=found.programme, match=found.match, user_id=user_id,
                kind=kind, answers=answers, now=utcnow(),
            )  # fmt: skip
            skillgrowth.rate_again(
                session=session, team_id=team_id, user_id=user_id, programme=found.programme, stage=STAGES[kind],
                skills=skills, levels=levels, now=utcnow(),
            )  # fmt: skip
            if kind is SurveyKind.EXIT:
                _save_story_choices(session, view, team_id=team_id, user_id=user_id, answer_id=row.id or 0)
        ack(response_action="update", view=checkin_ui.survey_thanks_modal())

    return submit


def on_continue_vote(keep: bool) -> Any:
    """'Continue together' / 'Wrap up' in the room's closing message: each member chooses for themself."""

    def vote(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
        clicked = clicked_match(ack, body, client, context, ENDED)
        if clicked is None:
            return
        deps, match, _programme, ids = clicked
        user_id = user_of(body)
        with deps.db.begin() as session:
            votes = surveys.vote_to_continue(session=session, match_id=match.id, user_id=user_id, keep=keep)
        tell(client, body, checkin_ui.continue_vote_answer(keep=keep, everyone=set(ids) <= set(votes)))

    return vote


def register(app: App) -> None:
    app.action(checkin_ui.PAUSE_ACTION)(on_pause)
    app.action(checkin_ui.KEEP_ACTION)(on_keep)
    app.action(checkin_ui.PULSE_ACTION)(on_open(SurveyKind.PULSE))
    app.action(checkin_ui.EXIT_ACTION)(on_open(SurveyKind.EXIT))
    app.view(checkin_ui.PULSE_CALLBACK)(on_submit(SurveyKind.PULSE))
    app.view(checkin_ui.EXIT_CALLBACK)(on_submit(SurveyKind.EXIT))
    app.action(checkin_ui.CONTINUE_ACTION)(on_continue_vote(keep=True))
    app.action(checkin_ui.WRAP_UP_ACTION)(on_continue_vote(keep=False))
