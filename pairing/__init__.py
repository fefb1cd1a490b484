"""Pure pairing engine: plain dataclasses in, plain dataclasses out (no Slack, database or app imports)."""

from pairing.engine import allowed, broken_rule, collection_paused, match, score_pair
from pairing.model import Candidate, MatchResult, MeetingMode, Mode, Pairing, PastPair, Role, Rules, Unmatched, Weights

__all__ = [
    "Candidate",
    "MatchResult",
    "MeetingMode",
    "Mode",
    "Pairing",
    "PastPair",
    "Role",
    "Rules",
    "Unmatched",
    "Weights",
    "allowed",
    "broken_rule",
    "collection_paused",
    "match",
    "score_pair",
]
