"""Success stories: a person agrees, story by story, that the programme admins may use their exit reflection or
one of their growth threads as a success story (in the programme report and a recruiting post, without their
name), and may withdraw that consent at any time. Nothing here reads a story nobody consented to for anyone but
its author."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from store import insight
from store.models import GrowthThread, Programme, StoryConsent, StorySource, SurveyKind, SurveyResponse

EXIT_CHOICE = "exit"  # the exit modal's choice for the reflection being written
EXCERPT = 140


@dataclass(frozen=True)
class Shareable:
    """One of the person's own stories, and whether they share it now. The label of an exit reflection names the
    programme and cycle, never what they wrote (the list is shown back to them in Slack)."""

    source: str  # StorySource
    source_id: int
    programme: str
    label: str
    shared: bool

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


def excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _consents(session: Session, *, team_id: str, user_id: str) -> dict[tuple[str, int], StoryConsent]:
    rows = session.exec(
        select(StoryConsent).where(StoryConsent.team_id == team_id, StoryConsent.slack_user_id == user_id)
    ).all()
    return {(row.source_kind, row.source_id): row for row in rows}


def _live(consent: StoryConsent | None) -> bool:
    return consent is not None and consent.withdrawn_at is None


def threads_of(session: Session, *, team_id: str, user_id: str, programme_id: int | None = None) -> list[GrowthThread]:
    query = select(GrowthThread).where(
        GrowthThread.team_id == team_id, GrowthThread.author_id == user_id, col(GrowthThread.deleted_at).is_(None)
    )
    if programme_id is not None:
        query = query.where(GrowthThread.programme_id == programme_id)
    return list(session.exec(query.order_by(col(GrowthThread.created_at).desc())).all())


def shareable(*, session: Session, team_id: str, user_id: str) -> list[Shareable]:
    """The person's exit reflections with something written, and their growth threads, newest first."""
    consents = _consents(session, team_id=team_id, user_id=user_id)
    names = {p.id: p.name for p in session.exec(select(Programme).where(Programme.team_id == team_id)).all()}
    found: list[Shareable] = []
    for answer in session.exec(
        select(SurveyResponse)
        .where(
            SurveyResponse.team_id == team_id,
            SurveyResponse.slack_user_id == user_id,
            SurveyResponse.kind == SurveyKind.EXIT.value,
            SurveyResponse.what_changed != "",
        )
        .order_by(col(SurveyResponse.created_at).desc())
    ).all():
        name = names.get(answer.programme_id, "")
        found.append(
            Shareable(
                StorySource.EXIT.value,
                answer.id or 0,
                name,
                f"Your exit reflection, cycle {answer.cycle_number}",
                _live(consents.get((StorySource.EXIT.value, answer.id or 0))),
            )
        )
    for thread in threads_of(session, team_id=team_id, user_id=user_id):
        found.append(
            Shareable(
                StorySource.GROWTH.value,
                thread.id or 0,
                names.get(thread.programme_id, ""),
                excerpt(insight.growth_story_text(thread.tried, thread.learned)),
                _live(consents.get((StorySource.GROWTH.value, thread.id or 0))),
            )
        )
    return found


def shared_count(*, session: Session, team_id: str, user_id: str) -> int:
    """How many of the person's stories they share now (App Home)."""
    return len(
        session.exec(
            select(StoryConsent.id).where(
                StoryConsent.team_id == team_id,
                StoryConsent.slack_user_id == user_id,
                col(StoryConsent.withdrawn_at).is_(None),
            )
        ).all()
    )


def _owned_programme(session: Session, *, team_id: str, user_id: str, source: str, source_id: int) -> int | None:
    """The programme of the person's own story (None when it isn't theirs, is gone, or says nothing)."""
    if source == StorySource.EXIT.value:
        answer = session.get(SurveyResponse, source_id)
        if answer and answer.team_id == team_id and answer.slack_user_id == user_id and answer.what_changed:
            return answer.programme_id if answer.kind == SurveyKind.EXIT.value else None
        return None
    if source == StorySource.GROWTH.value:
        thread = session.get(GrowthThread, source_id)
        if thread and thread.team_id == team_id and thread.author_id == user_id and thread.deleted_at is None:
            return thread.programme_id
    return None


def parse_key(key: str) -> tuple[str, int] | None:
    source, _, raw = key.partition(":")
    if source not in (StorySource.EXIT.value, StorySource.GROWTH.value) or not raw.isdigit():
        return None
    return source, int(raw)


def set_shared(*, session: Session, team_id: str, user_id: str, key: str, shared: bool, now: datetime) -> bool:
    """Share (consent) or withdraw one of the person's own stories; False when it isn't theirs (or is gone)."""
    parsed = parse_key(key)
    if parsed is None:
        return False
    source, source_id = parsed
    consent = session.exec(
        select(StoryConsent).where(
            StoryConsent.source_kind == source,
            StoryConsent.source_id == source_id,
            StoryConsent.slack_user_id == user_id,
            StoryConsent.team_id == team_id,
        )
    ).first()
    if not shared:
        if _live(consent):
            assert consent is not None
            consent.withdrawn_at = now
            session.add(consent)
        return True
    programme_id = _owned_programme(session, team_id=team_id, user_id=user_id, source=source, source_id=source_id)
    if programme_id is None:
        return False
    if consent is None:
        consent = StoryConsent(
            team_id=team_id, programme_id=programme_id, slack_user_id=user_id, source_kind=source, source_id=source_id
        )
    if not _live(consent) or consent.id is None:
        consent.consented_at, consent.withdrawn_at = now, None
    session.add(consent)
    return True


@dataclass(frozen=True)
class ExitOffer:
    """What the exit reflection offers to share: the reflection itself and the person's growth threads in the
    programme (value -> label), and which of them are shared already."""

    threads: list[tuple[str, str]]
    shared: list[str]


def exit_offer(*, session: Session, team_id: str, user_id: str, programme_id: int, match_id: int) -> ExitOffer:
    consents = _consents(session, team_id=team_id, user_id=user_id)
    answer = session.exec(
        select(SurveyResponse).where(
            SurveyResponse.match_id == match_id,
            SurveyResponse.slack_user_id == user_id,
            SurveyResponse.kind == SurveyKind.EXIT.value,
        )
    ).first()
    shared = [EXIT_CHOICE] if answer and _live(consents.get((StorySource.EXIT.value, answer.id or 0))) else []
    threads = threads_of(session, team_id=team_id, user_id=user_id, programme_id=programme_id)[:9]
    offered = [(f"{StorySource.GROWTH.value}:{t.id}", excerpt(t.learned or t.tried, 55)) for t in threads]
    shared += [k for k, _ in offered if _live(consents.get(parse_key(k) or ("", 0)))]
    return ExitOffer(offered, shared)


def save_exit_choices(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    answer_id: int,
    offered: Collection[str],
    chosen: Collection[str],
    now: datetime,
) -> None:
    """The exit reflection's choices: share what was ticked, withdraw what was offered and left unticked."""
    keys = {EXIT_CHOICE: f"{StorySource.EXIT.value}:{answer_id}"}
    for value in {EXIT_CHOICE, *offered}:
        key = keys.get(value, value)
        set_shared(session=session, team_id=team_id, user_id=user_id, key=key, shared=value in chosen, now=now)


def consented(*, session: Session, programme_id: int) -> list[insight.Story]:
    """The programme's stories their authors share now, newest first (for the admins' recruiting form)."""
    return insight.consented_stories(session=session, programme_id=programme_id)


def story_for_post(*, session: Session, programme_id: int | None, consent_id: int | None) -> insight.Story | None:
    """A consented story of the programme, to quote in a recruiting post (None if withdrawn or not one)."""
    if consent_id is None or programme_id is None:
        return None
    stories = insight.consented_stories(session=session, programme_id=programme_id)
    return next((s for s in stories if s.consent_id == consent_id), None)
