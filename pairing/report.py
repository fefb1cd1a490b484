"""The preview an admin reads in a terminal before a round is released."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pairing.fairness import unmatched_rates
from pairing.model import Candidate, MatchResult


def name_people(text: str, names: Mapping[str, str] | None) -> str:
    """Replace whole-word person ids in a reason with display names (e.g. {"U123": "Ana"} or Slack mentions)."""
    if not names:
        return text
    ids = sorted((i for i in names if i), key=len, reverse=True)
    if not ids:
        return text
    pattern = re.compile(r"(?<![\w@.-])(" + "|".join(re.escape(i) for i in ids) + r")(?![\w@-])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def preview_text(
    result: MatchResult, names: Mapping[str, str] | None = None, candidates: Sequence[Candidate] | None = None
) -> str:
    """Matches with score and reasons, the unmatched with why, and quality figures.

    Pass ``candidates`` to add the unmatched rate per department and role.
    """

    def who(pid: str) -> str:
        return (names or {}).get(pid, pid)

    stats = result.stats()
    lines = [f"Round preview ({result.mode.replace('_', ' ')}, seed {result.seed})", ""]
    lines.append(f"Matches ({len(result.matches)}):")
    for m in result.matches:
        label = " -> ".join(who(x) for x in m.members) if result.mode == "mentoring" else ", ".join(map(who, m.members))
        lines.append(f"  {label}  score {m.score:.1f}")
        for reason in m.reasons:
            lines.append(f"    - {name_people(reason, names)}")
    if not result.matches:
        lines.append("  (none)")
    lines += ["", f"Unmatched ({len(result.unmatched)}):"]
    for u in result.unmatched:
        lines.append(f"  {who(u.id)}: {u.reason}")
    if not result.unmatched:
        lines.append("  (none)")
    lines += [
        "",
        "Quality:",
        f"  matched: {stats['matched']:.0f} of {stats['people']:.0f} people ({stats['matched_pct']:.1f} %)",
        f"  mean score: {stats['mean_score']:.1f}  (lowest {stats['min_score']:.1f}, total {stats['total_score']:.1f})",
    ]
    if candidates is not None:
        rates = unmatched_rates(candidates, result)
        for kind in ("department", "role"):
            shown = ", ".join(f"{k} {100 * v:.0f} %" for k, v in rates[kind].items())
            lines.append(f"  unmatched rate by {kind}: {shown}")
    return "\n".join(lines) + "\n"
