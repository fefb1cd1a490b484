#!/usr/bin/env python3
"""Set up and run mentor-bot's jobs with nothing but Python: `python3 dev.py demo` or `python3 dev.py test`.

Creates `.venv` on first use, installs the project with its pinned dependencies (`requirements.lock`) and
reinstalls only when pyproject.toml or the lock changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def setup() -> None:
    stamp = VENV / ".installed"
    digest = hashlib.sha256(
        b"".join((ROOT / name).read_bytes() for name in ("pyproject.toml", "requirements.lock"))
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-c", "requirements.lock", "-e", ".[dev]")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    job = argv[0] if argv else "help"
    rest = argv[1:]
    if job == "setup":
        setup()
    elif job == "demo":
        setup()
        run(PY, "-m", "standin.demo", *rest)
    elif job == "test":
        setup()
        run(BIN / "ruff", "check", ".")
        run(BIN / "ruff", "format", "--check", ".")
        run(BIN / "mypy")
        run(BIN / "lint-imports")
        run(BIN / "pytest", *rest)
    elif job == "serve":
        setup()
        run(PY, "-m", "bot", "serve", *rest)
    else:
        print(__doc__)
        print("jobs: setup, demo, test [pytest args], serve [--http]")
        return 0 if job in ("help", "-h", "--help") else 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
