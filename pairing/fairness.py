"""Fairness figures: who is left out, by department and by role."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pairing.model import Candidate, MatchResult

NO_DEPARTMENT = "(no department)"


def unmatched_rates(candidates: Sequence[Candidate], result: MatchResult) -> dict[str, dict[str, float]]:
    """Share (0..1) of each department and each role left unmatched: {"department": {...}, "role": {...}}."""
    left_out = {u.id for u in result.unmatched}
    out: dict[str, dict[str, float]] = {}
    for kind in ("department", "role"):
        totals: Counter[str] = Counter()
        missed: Counter[str] = Counter()
        for c in candidates:
            key = c.role if kind == "role" else (c.department.strip() or NO_DEPARTMENT)
            totals[key] += 1
            missed[key] += c.id in left_out
        out[kind] = {key: missed[key] / totals[key] for key in sorted(totals)}
    return out
