"""Repository functions, one module per aggregate. Each takes the session keyword-only and is scoped to one
workspace (`team_id`). Callers use them as `queries.<name>`; the SQL aggregates of digests and reports are in
`store/insight.py`."""

from __future__ import annotations

from store.queries.growth import (
    MentorContribution,
    count_growth_activity,
    growth_threads,
    kudos_counts,
    kudos_given,
    mentor_contributions,
)
from store.queries.participants import (
    end_pause,
    get_participant,
    memberships,
    participant_counts,
    pauses_due,
    programme_participants,
    replan_person,
    set_participant_profile,
    set_status,
    upsert_participant,
)
from store.queries.privacy import FORGOTTEN, export_growth, export_person, forget_growth, forget_person
from store.queries.programmes import (
    DEFAULT_SKILLS,
    audit,
    clear_self_groups,
    ensure_default_programme,
    find_programme,
    get_programme,
    grant_admin,
    name_taken,
    open_programmes,
    programmes,
    slugify,
)
from store.queries.prompts import prompt_votes, rate_prompt
from store.queries.requests import claim_request, prune_seen_requests
from store.queries.roadmaps import (
    ensure_roadmap,
    get_milestone,
    match_milestones,
    milestone_status_counts,
    milestones_completed,
    roadmap_for,
    roadmap_milestones,
)
from store.queries.skills import CURRENT_STATUSES, skill_demand
from store.queries.workspaces import (
    claim_event,
    mark_installed,
    mark_uninstalled,
    purge_expired_workspaces,
    record_scheduler_state,
    scheduler_states,
    workspace_active,
)

__all__ = [
    "CURRENT_STATUSES",
    "DEFAULT_SKILLS",
    "FORGOTTEN",
    "MentorContribution",
    "audit",
    "claim_event",
    "claim_request",
    "clear_self_groups",
    "count_growth_activity",
    "end_pause",
    "ensure_default_programme",
    "ensure_roadmap",
    "export_growth",
    "export_person",
    "find_programme",
    "forget_growth",
    "forget_person",
    "get_milestone",
    "get_participant",
    "get_programme",
    "grant_admin",
    "growth_threads",
    "kudos_counts",
    "kudos_given",
    "mark_installed",
    "mark_uninstalled",
    "match_milestones",
    "memberships",
    "mentor_contributions",
    "milestone_status_counts",
    "milestones_completed",
    "name_taken",
    "open_programmes",
    "participant_counts",
    "pauses_due",
    "programme_participants",
    "programmes",
    "prompt_votes",
    "prune_seen_requests",
    "purge_expired_workspaces",
    "rate_prompt",
    "record_scheduler_state",
    "replan_person",
    "roadmap_for",
    "roadmap_milestones",
    "scheduler_states",
    "set_participant_profile",
    "set_status",
    "skill_demand",
    "slugify",
    "upsert_participant",
    "workspace_active",
]
