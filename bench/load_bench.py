"""Load benchmark: ack latency of `mentor-bot serve --http` on PostgreSQL under a fixed request rate.

Run from the repository root: ``.venv/bin/python -m bench.load_bench`` (50, 100 and 200 requests a second for
60 s each, about 7 minutes) or ``--quick`` (5 s each). A full run writes its figures into ``bench/RESULTS.md``
between the load markers (``--no-write`` to skip; ``--quick`` never writes).

What runs where:
- this process: the Slack stand-in (``standin/``, rate limits off unless ``--rate-limits``, so that it is
  not what is measured), the database set-up and the report;
- the app: ``python -m bot serve --http --no-scheduler --no-migrate`` (gunicorn gthread, 2 workers x 8
  threads) on a fresh PostgreSQL database migrated with ``python -m bot db upgrade`` and dropped afterwards;
- the baseline: ``python -m bench.load_baseline``, a bare Bolt app that only acks, served the same way;
- the load: ``bench.load_gen`` in a separate process (multiprocessing, spawn), open loop.

The request mix, cycled: half ``/mentor help`` (and ``/mentor``, ``/mentor HELP``), a quarter valid join-modal
submissions (ten people joining or updating their profile as mentee, mentor or peer; each one then makes the
app call users.info, conversations.open, chat.postMessage and views.publish after it acked), and a quarter
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

from sqlmodel import select

from bench.common import RESULTS, fresh_postgres, write_section
from bench.load_gen import TIMEOUT_S, PhaseResult, Sample, Template, run_phase
from blocks import common as ui
from standin import BOT_TOKEN, DEFAULT_PEOPLE, Reply, SlackPlatform, SlackStandIn
from standin.scenes import join_answers
from store.db import Database
from store.models import Programme

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- load:start -->", "<!-- load:end -->"
SIGNING_SECRET = "load-bench-signing-secret"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
WORKERS, THREADS = 2, 8
RATES = (50, 100, 200)
TARGET_RATE, TARGET_P99_MS, TARGET_RATIO = 100, 100.0, 2.0


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
        join_answers("peer", offered=skills[1:2], wanted=skills[2:4], department="Design"),
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
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_quiet(standin: SlackStandIn, quiet_for: float = 1.0, timeout: float = 60.0) -> None:
    """Let the app finish the work it does after acking (DMs, Home tabs) before the next phase."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = len(standin.calls)
        time.sleep(quiet_for)
        if len(standin.calls) == count:
            return


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
    by_kind: dict[str, tuple[float, float]]  # kind -> (p50, p99) ms

    @classmethod
    def of(cls, server: str, rate: int, result: PhaseResult, machine_cpu: str = "") -> Stats:
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
        return (
            f"{self.server:9} {self.rate:4d}/s  sent {self.sent:6d} at {self.achieved:6.1f}/s  errors {self.errors}"
            f" {self.error_kinds or ''}  p50 {self.p50_ms:6.1f}  p99 {self.p99_ms:7.1f}  max {self.max_ms:7.1f} ms"
            f"  (generator lag p99 {self.lag_p99_ms:.1f} ms, sender wait p99 {self.wait_p99_ms:.1f} ms,"
            f" cpu {self.generator_cpu:.0%})  [{kinds}]  CPU of the machine: {self.machine_cpu}"
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


def report(
    rows: list[tuple[Stats, Stats]], *, duration: float, command: str, rate_limits: bool, notes: list[str]
) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Load: ack latency of `mentor-bot serve --http` on PostgreSQL",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; {now};"
        f" `{command}`; one run, {duration:.0f} s per rate.",
        "",
        f"Setup: the app (`python -m bot serve --http --no-scheduler`, gunicorn gthread, {WORKERS} workers x"
        f" {THREADS} threads) on a fresh PostgreSQL database; the Slack stand-in with rate limits"
        f" {'on' if rate_limits else 'off'}; a separate load process sending signed requests at a fixed open-loop"
        " rate, each on a new connection; latency from the *scheduled* send time to the end of the response"
        " (no coordinated omission); an error is a non-200 answer, a socket timeout (3 s), or an answer more than"
        " 3 s after the scheduled send (Slack would have given up). Mix: 50 % `/mentor help`, 25 % valid join-modal"
        " submissions (which then make 4 Web API calls after the ack), 25 % invalid ones (inline errors)."
        " Baseline: a bare Bolt app whose listeners only ack, served the same way, same load, same run.",
        "",
        "| rate | server | sent at | errors | p50 | p99 | max | p99 / baseline p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for ours, base in rows:
        ratio = ours.p99_ms / base.p99_ms if base.p99_ms > 0 else float("nan")
        for stats, cell in ((ours, f"**{ratio:.2f}**"), (base, "")):
            errors = str(stats.errors) + (f" ({stats.error_kinds})" if stats.errors else "")
            lines.append(
                f"| {stats.rate}/s | {'mentor-bot' if stats is ours else 'bare Bolt'} | {stats.achieved:.1f}/s"
                f" | {errors} | {stats.p50_ms:.1f} ms | {stats.p99_ms:.1f} ms | {stats.max_ms:.1f} ms | {cell} |"
            )
    lines += ["", "mentor-bot by request kind (p50 / p99):", ""]
    lines += ["| rate | " + " | ".join(rows[0][0].by_kind) + " |", "| --- |" + " --- |" * len(rows[0][0].by_kind)]
    for ours, _ in rows:
        cells = " | ".join(f"{a:.1f} / {b:.1f} ms" for a, b in ours.by_kind.values())
        lines.append(f"| {ours.rate}/s | {cells} |")
    lines += ["", "Generator check (it kept up if its lag stays at a few ms and the achieved rate matches):", ""]
    for ours, base in rows:
        for s in (ours, base):
            lines.append(
                f"- {s.rate}/s {s.server}: sent at {s.achieved:.1f}/s, dispatcher lag p99 {s.lag_p99_ms:.1f} ms,"
                f" wait for a sender thread p99 {s.wait_p99_ms:.1f} ms, generator CPU {s.generator_cpu:.0%} of a core;"
                f" CPU of the whole machine during the phase: {s.machine_cpu}"
            )
    target = next((o for o, _ in rows if o.rate == TARGET_RATE), None)
    lines += ["", "### Against the targets", ""]
    if target is not None:
        base = next(b for o, b in rows if o.rate == TARGET_RATE)
        ratio = target.p99_ms / base.p99_ms
        ok_p99 = target.p99_ms < TARGET_P99_MS and target.errors == 0
        lines.append(
            f"- p99 under {TARGET_P99_MS:.0f} ms at {TARGET_RATE} req/s with zero errors: "
            f"**{'met' if ok_p99 else 'MISSED'}** (p99 {target.p99_ms:.1f} ms, {target.errors} errors)."
        )
        lines.append(
            f"- p99 at most {TARGET_RATIO:.0f}x the bare Bolt app's at {TARGET_RATE} req/s: "
            f"**{'met' if ratio <= TARGET_RATIO else 'MISSED'}** ({ratio:.2f}x)."
        )
        for ours, b in rows:
            if ours.rate != TARGET_RATE:
                r = ours.p99_ms / b.p99_ms
                lines.append(
                    f"- at {ours.rate} req/s (not a target): p99 {ours.p99_ms:.1f} ms, {ours.errors} errors,"
                    f" {r:.2f}x the baseline."
                )
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- main


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
    args = parser.parse_args(argv)
    duration = args.duration or (5.0 if args.quick else 60.0)
    rates = [int(r) for r in args.rates.split(",")]
    command = "python -m bench.load_bench" + (" --quick" if args.quick else "")
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="mentor-bot-load-"))
    rows: list[tuple[Stats, Stats]] = []
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
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": database_url,
        }
        app_args = ["-m", "bot", "serve", "--http", "--no-scheduler", "--no-migrate"]
        with (
            server("mentor-bot", app_args, env, workdir) as app,
            server("baseline", ["-m", "bench.load_baseline"], env, workdir) as baseline,
        ):
            # The workspace gets its default programme the first time someone runs /mentor join.
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
            wait_quiet(standin)
            for rate in rates:
                measured: dict[str, Stats] = {}
                for target in (app, baseline):
                    groups = {
                        "app": _tree(app.process.pid),
                        "baseline": _tree(baseline.process.pid),
                        "stand-in + bench": [os.getpid()],
                        "load generator": [p.pid for p in multiprocessing.active_children() if p.pid],
                        "postgres": _postgres(),
                    }
                    cpu_before, wall_before = cpu_by_group(groups), time.monotonic()
                    pending = load.apply_async(
                        run_phase, (target.events_url, SIGNING_SECRET, templates, rate, duration)
                    )
                    if args.profile and target is app and rate == args.profile_at:
                        time.sleep(min(2.0, duration / 4))
                        notes.append(f"Profile of the app during the {rate} req/s run (py-spy):")
                        notes.append(profile_workers(target.workers(), args.profile, workdir))
                    result = pending.get(timeout=duration * 3 + 120)
                    groups["postgres"] = _postgres()
                    share = cpu_share(cpu_before, cpu_by_group(groups), time.monotonic() - wall_before)
                    stats = Stats.of(target.name, rate, result, share)
                    print(stats.line(), flush=True)
                    measured[target.name] = stats
                    wait_quiet(standin)
                rows.append((measured["mentor-bot"], measured["baseline"]))
            app_log = app.log.read_text(errors="replace")
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
