"""Short, practical guidance for mentors, mentees and peers by stage of a cycle (`/mentor guide`, App Home)."""

from prompts.guides.library import (
    MAX_SECTION_CHARS,
    ROLES,
    Guide,
    GuideError,
    GuideLibrary,
    Stage,
    load_guides,
    render,
    stage_of,
)

__all__ = [
    "MAX_SECTION_CHARS",
    "ROLES",
    "Guide",
    "GuideError",
    "GuideLibrary",
    "Stage",
    "load_guides",
    "render",
    "stage_of",
]
