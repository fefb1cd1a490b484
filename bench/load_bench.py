"""Load benchmark: ack latency of `mentor-bot serve --http` on PostgreSQL under a fixed request rate.

Run from the repository root: ``.venv/bin/python -m bench.load_bench`` (50, 100 and 200 requests a second for
60 s each, about 7 minutes) or ``--quick`` (5 s each). A full run writes its figures into ``bench/RESULTS.md``
between the load markers (``--no-write`` to skip; ``--quick`` never writes).

What runs where:
- this process: the Slack stand-in (``standin/``, rate limits off unless ``--rate-limits``, so that it is
  not what is measured), the database set-up and the report;
- the app: ``python -m bot serve --http --no-scheduler --no-migrate`` (gunicorn gthread, 2 workers x 8
  threads) on a fresh PostgreSQL database migrated with ``python -m bot db upgrade`` and dropped afterwards;
- its scheduler: ``python -m bot scheduler``, a process of its own (in production the child of ``serve --http``),
  here apart so that its CPU is counted apart: it runs the follow-up worker, which does what the join listener
  leaves for after its ack (read the Slack profile, DM, publish App Home) at Slack's pace;
- the baseline: ``python -m bench.load_baseline``, a bare Bolt app that only acks, served the same way;
- the load: ``bench.load_gen`` in a separate process (multiprocessing, spawn), open loop.

The request mix, cycled: half ``/mentor help`` (and ``/mentor``, ``/mentor HELP``), a quarter valid join-modal
submissions (ten people joining or updating their profile as mentee or mentor; each one queues a follow-up in
which the scheduler's process reads the person's Slack profile, sends them a DM and publishes their App Home),
and a quarter
invalid ones (no role and no consent, a capacity out of range, a skill the programme does not offer), which the
app answers with inline errors.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bench.common import RESULTS, fresh_postgres, write_section
from bench.load_gen import TIMEOUT_S, PhaseResult, Sample, Template, run_phase
from blocks import common as ui
from standin import BOT_TOKEN, DEFAULT_PEOPLE, TEAM_ID, Reply, SlackPlatform, SlackStandIn
from standin.scenes import join_answers
from store.db import Database
from store.models import FollowUp, FollowUpStatus, Programme
from store.queries import DEFAULT_SKILLS

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- load:start -->", "<!-- load:end -->"
SIGNING_SECRET = "load-bench-signing-secret"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
WORKERS, THREADS = 2, 8
RATES = (100, 200, 400)
# The targets: p99 under 50 ms at 100 req/s; at 400 req/s p99 under 1 s and no ack past Slack's 3 s; CPU per
# request at most 1.5x a bare Bolt app's (at the target rate, same run).
TARGET_RATE, TARGET_P99_MS, TARGET_CPU_RATIO = 100, 50.0, 1.5
PEAK_RATE, PEAK_P99_MS = 400, 1000.0
JOIN_SHARE = 0.25  # the valid join submissions in the mix: each queues one follow-up


# --------------------------------------------------------------------------------------------- request mix


class _Capture(SlackPlatform):
    """SlackPlatform that builds the signed-request bodies without sending them."""

    def __init__(self, standin: SlackStandIn) -> None:
        super().__init__("http://unused/slack/events", SIGNING_SECRET, standin)
        self.captured: list[tuple[str, bytes]] = []

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        self.captured.append((content_type, body.encode("utf-8")))
        return Reply(0, "", None)  # status 0: the platform does not touch the stand-in's modal stack

    def take(self) -> tuple[str, bytes]:
        return self.captured.pop()


def build_templates(standin: SlackStandIn, programme: Programme) -> list[Template]:
    """The request mix, in the order it is cycled: help, valid join, help, invalid join, ..."""
    capture = _Capture(standin)
    people = [p for p in DEFAULT_PEOPLE if not p.is_admin and not p.deleted][:10]
    skills = list(programme.skills)
    view = {"id": "V0LOADBENCH", "team_id": standin.team_id, **ui.join_modal(programme)}
    valid = [
        join_answers("mentee", wanted=skills[:2], goals="Lead a design review", department="Engineering"),
        join_answers("mentor", offered=skills[:3], capacity=2, department="Sales"),
        # a 1:1 programme offers no peer role (the form would refuse it): a second mentee instead
        join_answers("mentee", wanted=skills[2:4], goals="Speak at the all-hands", department="Design"),
    ]
    invalid = [
        join_answers("", consent=False, department="Design"),
        join_answers("mentor", offered=skills[:1], capacity=9),
        join_answers("mentee", wanted=["Underwater basket weaving"]),
    ]
    texts = ["help", "", "HELP"]
    templates: list[Template] = []
    for i in range(120):
        person = people[i % len(people)]
        capture.slash(person.id, "/mentor", texts[i % len(texts)])
        templates.append(Template("help", *capture.take()))
        if i % 2 == 0:
            capture.submit_view(person.id, view, valid[(i // 2) % len(valid)])
            templates.append(Template("join_valid", *capture.take()))
        else:
            capture.submit_view(person.id, view, invalid[(i // 2) % len(invalid)])
            templates.append(Template("join_invalid", *capture.take()))
    return templates


# --------------------------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not answer /healthz in time")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def events_url(self) -> str:
        return self.base_url + "/slack/events"

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def _terminate(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def server(name: str, args: Sequence[str], env: dict[str, str], workdir: Path) -> Iterator[Server]:
    port = _free_port()
    log = workdir / f"{name}.log"
    full_env = {
        **os.environ,
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": str(WORKERS),
        "WEB_THREADS": str(THREADS),
        "LOG_LEVEL": "WARNING",
    }
    full_env.pop("SLACK_APP_TOKEN", None)
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=full_env, stdout=out, stderr=out)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, process, log)
        yield Server(name, process, base_url, log)
    finally:
        _terminate(process)


def settle(seconds: float = 2.0) -> None:
    """Let the last answers of a phase finish before the next one. (The follow-up worker is not waited for: it
    works through its queue at Slack's pace, behind the load, as it would in production.)"""
    time.sleep(seconds)


def follow_ups(database_url: str) -> tuple[int, int]:
    """(follow-ups done, follow-ups waiting) in the app's database."""
    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            counts = dict(session.exec(select(FollowUp.status, func.count()).group_by(col(FollowUp.status))).all())
    finally:
        db.dispose()
    return counts.get(FollowUpStatus.DONE.value, 0), counts.get(FollowUpStatus.PENDING.value, 0)


@contextmanager
def scheduler_process(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`mentor-bot scheduler`: the scheduled passes, the delivery loop and the follow-up worker."""
    log = workdir / "scheduler.log"
    full_env = {**os.environ, **env, "LOG_LEVEL": "WARNING"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "scheduler"], cwd=ROOT, env=full_env, stdout=out, stderr=out
        )
    try:
        time.sleep(3.0)
        if process.poll() is not None:
            raise RuntimeError(f"the scheduler exited: {log.read_text()[-3000:]}")
        yield process
    finally:
        _terminate(process)


# --------------------------------------------------------------------------------------------- CPU use

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in _tree(int(child)))]


def _postgres() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all processes, all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def cpu_by_group(groups: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    by_group = {name: {pid: _cpu_of(pid) for pid in pids} for name, pids in groups.items()}
    by_group["whole machine busy"] = {0: _machine_busy()}
    return by_group


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], name: str) -> float:
    """CPU seconds one group's processes used between two readings."""
    return sum(t - before.get(name, {}).get(pid, 0.0) for pid, t in after.get(name, {}).items())


def cpu_share(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], wall: float) -> str:
    """Each group's CPU over the phase, as a share of the whole machine."""
    cores = os.cpu_count() or 1
    parts = []
    for name, now in after.items():
        used = sum(t - before.get(name, {}).get(pid, 0.0) for pid, t in now.items())
        parts.append(f"{name} {used / (wall * cores):.0%}")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Stats:
    server: str
    rate: int
    sent: int
    errors: int
    error_kinds: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    achieved: float  # requests sent per second of sending
    answered: float  # 200 answers per second of wall time
    lag_p99_ms: float  # how late the generator's dispatcher sent, p99
    wait_p99_ms: float  # how long a request waited for a free sender thread, p99
    generator_cpu: float  # fraction of one core
    machine_cpu: str  # CPU share of the machine by process group during the phase
    cpu_ms_per_request: float  # CPU of the server's own processes over the phase, per request sent
    by_kind: dict[str, tuple[float, float]]  # kind -> (p50, p99) ms
    followups_done: int = 0  # mentor-bot: follow-ups the scheduler's process finished during the phase
    followups_waiting: int = 0  # mentor-bot: follow-ups queued and not yet done at the end of the phase
    followup_cpu_s: float = 0.0  # mentor-bot: CPU of the scheduler's process over the phase

    @property
    def cpu_ms_per_followup(self) -> float:
        return self.followup_cpu_s * 1000 / self.followups_done if self.followups_done else float("nan")

    @classmethod
    def of(cls, server: str, rate: int, result: PhaseResult, machine_cpu: str = "", cpu_s: float = 0.0) -> Stats:
        samples: list[Sample] = result.samples
        latencies = [s.latency * 1000 for s in samples]
        # Slack gives up 3 s after it sent: an answer later than that (counted from the scheduled send) is an error.
        failures = [s for s in samples if s.status != 200 or s.latency > TIMEOUT_S]
        span = max((s.scheduled + s.lag for s in samples), default=0.0)
        kinds = sorted({s.kind for s in samples})
        return cls(
            server=server,
            rate=rate,
            sent=len(samples),
            errors=len(failures),
            error_kinds=dict(Counter(s.error or "over 3 s" for s in failures)),
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            max_ms=max(latencies, default=float("nan")),
            achieved=(len(samples) - 1) / span if span > 0 else float("nan"),
            answered=(len(samples) - len(failures)) / result.wall if result.wall > 0 else float("nan"),
            lag_p99_ms=percentile([s.lag * 1000 for s in samples], 99),
            wait_p99_ms=percentile([s.wait * 1000 for s in samples], 99),
            generator_cpu=result.generator_cpu / result.wall if result.wall > 0 else float("nan"),
            machine_cpu=machine_cpu,
            cpu_ms_per_request=cpu_s * 1000 / len(samples) if samples else float("nan"),
            by_kind={
                k: (
                    percentile([s.latency * 1000 for s in samples if s.kind == k], 50),
                    percentile([s.latency * 1000 for s in samples if s.kind == k], 99),
                )
                for k in kinds
            },
        )

    def line(self) -> str:
        kinds = ", ".join(f"{k} p50/p99 {a:.1f}/{b:.1f}" for k, (a, b) in self.by_kind.items())
        followups = (
            f"  follow-ups: {self.followups_done} done ({self.cpu_ms_per_followup:.1f} ms CPU each),"
            f" {self.followups_waiting} waiting"
            if self.server == "mentor-bot"
            else ""
        )
        return (
            f"{self.server:9} {self.rate:4d}/s  sent {self.sent:6d} at {self.achieved:6.1f}/s  errors {self.errors}"
            f" {self.error_kinds or ''}  p50 {self.p50_ms:6.1f}  p99 {self.p99_ms:7.1f}  max {self.max_ms:7.1f} ms"
            f"  (generator lag p99 {self.lag_p99_ms:.1f} ms, sender wait p99 {self.wait_p99_ms:.1f} ms,"
            f" cpu {self.generator_cpu:.0%})  server CPU {self.cpu_ms_per_request:.2f} ms/request  [{kinds}]"
            f"  CPU of the machine: {self.machine_cpu}{followups}"
        )


# --------------------------------------------------------------------------------------------- profile


def _frame(raw: str) -> str:
    """py-spy's "func (path/to/file.py:12)" as "func (file.py)"."""
    name, _, where = raw.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1].split(':')[0]})"


def profile_workers(workers: list[int], seconds: int, workdir: Path) -> str:
    """py-spy on each worker for `seconds`, while the load runs: the functions where most samples sit."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        return "py-spy is not installed: no profile."
    procs = []
    for pid in workers:
        out = workdir / f"profile-{pid}.txt"
        procs.append(
            (
                out,
                subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "-p",
                        str(pid),
                        "-d",
                        str(seconds),
                        "-r",
                        "200",
                        "-f",
                        "raw",
                        "-o",
                        str(out),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        )
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for out, proc in procs:
        proc.wait(timeout=seconds + 60)
        if not out.exists():
            continue
        for row in out.read_text().splitlines():
            stack, _, count_text = row.rpartition(" ")
            if not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_frame(f) for f in stack.split(";") if f]
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    if not total:
        return "py-spy recorded nothing (no permission to attach?)."
    lines = [f"{total} samples of busy threads, both workers, {seconds} s at 200 Hz"]
    lines.append("most inclusive time: " + "; ".join(f"{f} {c / total:.0%}" for f, c in inclusive.most_common(40)))
    lines.append("most own time: " + "; ".join(f"{f} {c / total:.0%}" for f, c in own.most_common(15)))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- report


def _med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _spread(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}" if values else ""


def report(
    runs: list[list[tuple[Stats, Stats]]], *, duration: float, command: str, rate_limits: bool, notes: list[str]
) -> str:
    """Medians over the runs for each rate, the spread beside them, graded against the targets."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    by_rate: dict[int, list[tuple[Stats, Stats]]] = {}
    for run in runs:
        for ours, base in run:
            by_rate.setdefault(ours.rate, []).append((ours, base))
    lines = [
        "## Load: ack latency of `mentor-bot serve --http` on PostgreSQL",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; {now};"
        f" `{command}`; {len(runs)} runs, {duration:.0f} s per rate and server in each.",
        "",
        f"Setup: the app (`python -m bot serve --http --no-scheduler`, gunicorn gthread, {WORKERS} workers x"
        f" {THREADS} threads) on a fresh PostgreSQL database with one programme open for enrolment; the Slack"
        f" stand-in with rate limits {'on' if rate_limits else 'off'}; a separate load process sending signed"
        " requests at a fixed open-loop rate, each on a new connection; latency from the *scheduled* send time to"
        " the end of the response (no coordinated omission); an error is a non-200 answer, a socket timeout (3 s),"
        " or an answer more than 3 s after the scheduled send (Slack would have given up). Mix: 50 % `/mentor help`,"
        " 25 % valid join-modal submissions (each queues a follow-up: 3 Web API calls), 25 % invalid ones"
        " (inline errors). Baseline: a bare Bolt app whose listeners only ack, served the same way, same load, same"
        " run. CPU per request: the CPU time of the server's own processes (all workers) over the phase, divided by"
        " the requests sent. mentor-bot's web workers leave a join's follow-up (Slack profile, DM, App Home) to the"
        " follow-up worker in the scheduler's process, which works through it at Slack's pace; its CPU is counted"
        " apart below, and added back per request in the all-in figure.",
        "",
        "| rate | server | sent at | errors (all runs) | p50 | p99 (spread) | max | CPU per request (spread) |"
        " p99 / baseline | CPU / baseline |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rate, pairs in sorted(by_rate.items()):
        ours_p99 = [o.p99_ms for o, _ in pairs]
        base_p99 = [b.p99_ms for _, b in pairs]
        ours_cpu = [o.cpu_ms_per_request for o, _ in pairs]
        base_cpu = [b.cpu_ms_per_request for _, b in pairs]
        for name, side, p99, cpu in (("mentor-bot", 0, ours_p99, ours_cpu), ("bare Bolt", 1, base_p99, base_cpu)):
            stats = [pair[side] for pair in pairs]
            errors = sum(x.errors for x in stats)
            kinds: Counter[str] = Counter()
            for x in stats:
                kinds.update(x.error_kinds)
            ratios = (
                f"**{_med(ours_p99) / _med(base_p99):.2f}** | **{_med(ours_cpu) / _med(base_cpu):.2f}**"
                if side == 0
                else " | "
            )
            lines.append(
                f"| {rate}/s | {name} | {_med([x.achieved for x in stats]):.1f}/s | {errors}"
                f"{f' ({dict(kinds)})' if errors else ''} | {_med([x.p50_ms for x in stats]):.1f} ms"
                f" | {_med(p99):.1f} ms ({_spread(p99)}) | {max(x.max_ms for x in stats):.1f} ms"
                f" | {_med(cpu):.2f} ms ({_spread(cpu, '{:.2f}')}) | {ratios} |"
            )
    lines += [
        "",
        "The follow-up worker (the scheduler's process) during mentor-bot's phases, medians of the runs; a follow-up"
        " is one valid join's Slack profile read, DM and App Home publish, paced to Slack's Tier 4 limits (100"
        " `users.info` and 100 `views.publish` a minute per workspace):",
        "",
        "| rate | follow-ups queued | done in the phase | CPU per follow-up | waiting at the end |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rate, pairs in sorted(by_rate.items()):
        mine = [o for o, _ in pairs]
        queued = _med([o.sent * JOIN_SHARE for o in mine])
        per_followup = _med([o.cpu_ms_per_followup for o in mine])
        lines.append(
            f"| {rate}/s | {queued:.0f} | {_med([o.followups_done for o in mine]):.0f}"
            f" | {per_followup:.1f} ms | {_med([o.followups_waiting for o in mine]):.0f} |"
        )
    first = runs[0]
    lines += ["", "mentor-bot by request kind, run 1 (p50 / p99):", ""]
    lines += ["| rate | " + " | ".join(first[0][0].by_kind) + " |", "| --- |" + " --- |" * len(first[0][0].by_kind)]
    for ours, _ in first:
        cells = " | ".join(f"{a:.1f} / {b:.1f} ms" for a, b in ours.by_kind.values())
        lines.append(f"| {ours.rate}/s | {cells} |")
    lines += ["", "Generator check (it kept up if its lag stays at a few ms and the achieved rate matches):", ""]
    for index, run in enumerate(runs, start=1):
        for ours, base in run:
            for x in (ours, base):
                lines.append(
                    f"- run {index}, {x.rate}/s {x.server}: sent at {x.achieved:.1f}/s, dispatcher lag p99"
                    f" {x.lag_p99_ms:.1f} ms, wait for a sender thread p99 {x.wait_p99_ms:.1f} ms, generator CPU"
                    f" {x.generator_cpu:.0%} of a core; CPU of the whole machine during the phase: {x.machine_cpu}"
                )
    lines += ["", "### Against the targets (medians of the runs)", ""]
    if TARGET_RATE in by_rate:
        pairs = by_rate[TARGET_RATE]
        median_p99 = _med([o.p99_ms for o, _ in pairs])
        errors = sum(o.errors for o, _ in pairs)
        cpu_ratio = _med([o.cpu_ms_per_request for o, _ in pairs]) / _med([b.cpu_ms_per_request for _, b in pairs])
        lines.append(
            f"- p99 under {TARGET_P99_MS:.0f} ms at {TARGET_RATE} req/s with zero errors: "
            f"**{'met' if median_p99 < TARGET_P99_MS and errors == 0 else 'MISSED'}** (p99 {median_p99:.1f} ms,"
            f" {errors} errors)."
        )
        per_followup = _med([o.cpu_ms_per_followup for o, _ in pairs])
        all_in = _med([o.cpu_ms_per_request for o, _ in pairs]) + JOIN_SHARE * per_followup
        all_in_ratio = all_in / _med([b.cpu_ms_per_request for _, b in pairs])
        lines.append(
            f"- CPU per request of the web workers that ack, at most {TARGET_CPU_RATIO}x the bare Bolt app's at"
            f" {TARGET_RATE} req/s: **{'met' if cpu_ratio <= TARGET_CPU_RATIO else 'MISSED'}** ({cpu_ratio:.2f}x)."
            f" All in, with the follow-up work each request queued (a quarter of them, {per_followup:.1f} ms each,"
            f" in the scheduler's process): {all_in:.2f} ms, {all_in_ratio:.2f}x."
        )
    else:
        lines.append(f"- {TARGET_RATE} req/s was not run: **MISSED** (not measured).")
    if PEAK_RATE in by_rate:
        pairs = by_rate[PEAK_RATE]
        peak_p99 = _med([o.p99_ms for o, _ in pairs])
        late = sum(o.errors for o, _ in pairs)
        ok = peak_p99 < PEAK_P99_MS and late == 0
        lines.append(
            f"- at {PEAK_RATE} req/s, p99 under {PEAK_P99_MS / 1000:.0f} s and no answer past 3 s (or failed): "
            f"**{'met' if ok else 'MISSED'}** (p99 {peak_p99:.1f} ms, {late} errors over the runs)."
        )
    else:
        lines.append(f"- {PEAK_RATE} req/s was not run: **MISSED** (not measured).")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- main


def open_programme(database_url: str) -> None:
    """The programme people join, as an admin would have created it (a workspace has none until then)."""
    db = Database.from_url(database_url)
    try:
        with db.begin() as session:
            session.add(
                Programme(
                    team_id=TEAM_ID,
                    slug="mentoring",
                    name="Mentoring",
                    objectives="Grow skills and careers through regular conversations with a mentor or a peer.",
                    skills=list(DEFAULT_SKILLS),
                )
            )
    finally:
        db.dispose()


def measure(
    target: Server,
    rate: int,
    servers: tuple[Server, Server],
    scheduler: subprocess.Popen[bytes],
    database_url: str,
    load: Any,
    templates: list[Template],
    duration: float,
    args: argparse.Namespace,
    notes: list[str],
) -> Stats:
    """One phase: `rate` requests a second at one server for `duration` seconds, with the CPU each group used."""
    app, baseline = servers
    groups = {
        "app": _tree(app.process.pid),
        "follow-up worker": _tree(scheduler.pid),
        "baseline": _tree(baseline.process.pid),
        "stand-in + bench": [os.getpid()],
        "load generator": [p.pid for p in multiprocessing.active_children() if p.pid],
        "postgres": _postgres(),
    }
    done_before, _ = follow_ups(database_url)
    cpu_before, wall_before = cpu_by_group(groups), time.monotonic()
    pending = load.apply_async(run_phase, (target.events_url, SIGNING_SECRET, templates, rate, duration))
    if args.profile and target is app and rate == args.profile_at:
        time.sleep(min(2.0, duration / 4))
        notes.append(f"Profile of the app during the {rate} req/s run (py-spy):")
        notes.append(profile_workers(target.workers(), args.profile, target.log.parent))
    result = pending.get(timeout=duration * 3 + 120)
    groups["postgres"] = _postgres()
    cpu_after = cpu_by_group(groups)
    share = cpu_share(cpu_before, cpu_after, time.monotonic() - wall_before)
    own = cpu_used(cpu_before, cpu_after, "app" if target is app else "baseline")
    stats = Stats.of(target.name, rate, result, share, own)
    if target is app:
        done_after, stats.followups_waiting = follow_ups(database_url)
        stats.followups_done = done_after - done_before
        stats.followup_cpu_s = cpu_used(cpu_before, cpu_after, "follow-up worker")
    print(stats.line(), flush=True)
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 s per rate; prints only")
    parser.add_argument("--duration", type=float, help="seconds per rate (default 60, --quick 5)")
    parser.add_argument("--rates", default=",".join(map(str, RATES)), help="requests a second, comma-separated")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG)
    parser.add_argument("--rate-limits", action="store_true", help="keep the stand-in's rate limits on")
    parser.add_argument("--profile", type=int, default=0, metavar="S", help="py-spy the app's workers for S s")
    parser.add_argument("--profile-at", type=int, default=TARGET_RATE, metavar="RATE", help="during this rate")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument("--runs", type=int, default=3, help="runs over all the rates (default 3, --quick 1)")
    args = parser.parse_args(argv)
    duration = args.duration or (5.0 if args.quick else 60.0)
    rates = [int(r) for r in args.rates.split(",")]
    command = "python -m bench.load_bench" + (" --quick" if args.quick else "")
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="mentor-bot-load-"))
    runs = 1 if args.quick else max(1, args.runs)
    rows: list[list[tuple[Stats, Stats]]] = []
    notes: list[str] = []
    spawn = multiprocessing.get_context("spawn")
    with (
        fresh_postgres(args.postgres, "mentorbot_load") as database_url,
        SlackStandIn(rate_limits=args.rate_limits) as standin,
        spawn.Pool(1) as load,
    ):
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            check=True,
            capture_output=True,
        )
        open_programme(database_url)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": database_url,
        }
        app_args = ["-m", "bot", "serve", "--http", "--no-scheduler", "--no-migrate"]
        with (
            server("mentor-bot", app_args, env, workdir) as app,
            scheduler_process(env, workdir) as scheduler,
            server("baseline", ["-m", "bench.load_baseline"], env, workdir) as baseline,
        ):
            # A first join opens the form of the programme set up above.
            warm = SlackPlatform(app.events_url, SIGNING_SECRET, standin)
            assert warm.slash(DEFAULT_PEOPLE[0].id, "/mentor", "join").status == 200
            if not standin.wait_for(lambda: standin.last_modal(DEFAULT_PEOPLE[0].id) is not None, timeout=15):
                raise RuntimeError(f"the app did not open the join modal: {app.log.read_text()[-3000:]}")
            db = Database.from_url(database_url)
            try:
                with db.session() as session:
                    programme = session.exec(select(Programme)).one()
            finally:
                db.dispose()
            templates = build_templates(standin, programme)
            print(f"{len(templates)} request templates; app {app.base_url}, baseline {baseline.base_url}", flush=True)
            for target in (app, baseline):  # warm both: connections, imports, caches
                load.apply(run_phase, (target.events_url, SIGNING_SECRET, templates, 20, 3.0))
            settle()
            for run in range(runs):
                rows.append([])
                for rate in rates:
                    measured: dict[str, Stats] = {}
                    for target in (app, baseline):
                        measured[target.name] = measure(
                            target,
                            rate,
                            (app, baseline),
                            scheduler,
                            database_url,
                            load,
                            templates,
                            duration,
                            args,
                            notes,
                        )
                        settle()
                    rows[-1].append((measured["mentor-bot"], measured["baseline"]))
                print(f"run {run + 1} of {runs} done", flush=True)
            app_log = app.log.read_text(errors="replace") + (workdir / "scheduler.log").read_text(errors="replace")
        notes.append(
            f"Stand-in: {len(standin.calls)} Web API calls from the app, {len(standin.warnings)} warnings;"
            f" app log: {app_log.count('ERROR')} ERROR lines, {app_log.count('Traceback')} tracebacks."
        )
        if standin.warnings:
            notes.append("Stand-in warnings (first 5): " + "; ".join(standin.warnings[:5]))
    notes.append(f"Benchmark wall time: {time.monotonic() - began:.0f} s.")
    section = report(rows, duration=duration, command=command, rate_limits=args.rate_limits, notes=notes)
    print("\n" + section)
    if not args.quick and not args.no_write:
        write_section(START, END, section)
        print(f"\nwritten to {RESULTS}")
    if "ERROR" in app_log or "Traceback" in app_log:
        print(f"the app logged errors: its log is kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
