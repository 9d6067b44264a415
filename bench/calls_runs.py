"""The two scenarios of bench/calls.py, each against a fresh server: concurrent and sequential calls.

`concurrent_calls` dials the calls over the ramp, waits until all were greeted, then measures a window
while they talk; `sequential_calls` makes short calls a few at a time and reads the server's RSS at
checkpoints. Both fill a `Figures` (printed value and PASS/MISS per figure) for one engine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import pstats
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.calls_board import BoardWatcher, staff_session_cookie
from bench.calls_phone import (
    Cue,
    Expect,
    Phone,
    Tally,
    converse,
    greeted,
    merge_cues,
    take_turn,
    unanswered,
    voice_to_voice,
)
from bench.calls_report import BARGE_P95_GOAL_MS, FLAT_KB_PER_CALL, TURN_P99_GOAL_MS, Figures, ms, num, pct
from bench.calls_server import (
    Fakes,
    Server,
    cpu_seconds,
    machine_busy_seconds,
    rss_mb,
    tree_cpu_seconds,
    tree_rss_mb,
)
from bench.calls_wire import BARGE, TURN, TURN_ALT

RSS_CHECKPOINTS = (10, 100, 250, 500, 750, 1000)


@dataclass
class Run:
    engine: str
    env: dict[str, str]
    log_dir: Path
    profile: bool
    memory: bool
    daphne: bool
    workers: int
    fakes: Fakes
    server: Server | None = None

    def _base(self, label: str) -> Path:
        return self.log_dir / f"server-{self.engine}-{label}"

    def start_server(self, label: str) -> Server:
        log = self._base(label).with_suffix(".log").open("w")
        wrapped = self.profile or self.memory or os.environ.get("BENCH_SHARED_SSL") == "1"
        diagnostics = self._base(label) if wrapped else None
        self.server = Server(
            env=self.env,
            log=log,
            diagnostics=diagnostics,
            profile=self.profile,
            daphne=self.daphne,
            workers=self.workers,
        )
        return self.server

    def stop_server(self, label: str, figures: Figures) -> None:
        assert self.server is not None
        self.server.stop()
        base = self._base(label)
        log = base.with_suffix(".log")
        lines = log.read_text(errors="replace").splitlines()
        problems = sum(1 for line in lines if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line))
        warnings = sum(1 for line in lines if re.search(r"\bWARNING\b", line))
        figures.notes.append(f"{label}: server log {log} ({problems} errors, {warnings} warnings)")
        prof, mem = base.with_suffix(".prof"), base.with_suffix(".mem")
        if self.profile and prof.exists():
            print(f"\n--- server CPU profile ({self.engine}, {label}, measured part only): by own time ---")
            pstats.Stats(str(prof)).sort_stats("tottime").print_stats(35)
            print("--- by cumulative time ---")
            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(60)
        if self.memory and mem.exists():
            print(f"\n--- server objects after a full GC ({self.engine}, {label}), at each checkpoint ---")
            print(mem.read_text())


async def _warm_up(server: Server, params: dict[str, str], expect: Expect) -> None:
    """One call first, so imports and first-use caches are not counted as per-call cost."""
    phone = Phone(10**6, server.url, params, Tally(), real_time=False)
    await phone.dial()
    ok = await greeted(phone, expect) and await take_turn(phone, expect)
    await phone.hang_up()
    if not ok:
        raise SystemExit("the warm-up call failed: see the server log")
    await asyncio.sleep(1.0)


@dataclass(frozen=True)
class Reading:
    """Counters and CPU seconds at one instant of the measured window."""

    at: float
    tally: dict[str, float]
    server: float
    fakes: float
    phones: float
    machine: float
    alive: int

    @classmethod
    def take(cls, tally: Tally, phones: list[Phone], server: Server, fakes: Fakes) -> Reading:
        return cls(
            at=time.monotonic(),
            tally=tally.snapshot(),
            server=tree_cpu_seconds(server.pid),
            fakes=cpu_seconds(fakes.pid),
            phones=cpu_seconds(os.getpid()),
            machine=machine_busy_seconds(),
            alive=sum(1 for p in phones if p.alive),
        )


class Crowd:
    """The phones of the concurrent run: each dials after its delay, listens to the greeting, then
    talks until the window ends. `all_greeted` is set once every phone was greeted or failed."""

    def __init__(self, phones: list[Phone], expect: Expect, args: argparse.Namespace):
        self.phones, self.expect, self.args = phones, expect, args
        self.failures: dict[str, int] = {}
        self.all_greeted = asyncio.Event()
        self.window_end = math.inf
        self._greeted = 0

    def note(self, problem: str) -> None:
        self.failures[problem] = self.failures.get(problem, 0) + 1

    def _greeted_one(self) -> None:
        self._greeted += 1
        if self._greeted == len(self.phones):
            self.all_greeted.set()

    async def call(self, phone: Phone, delay: float) -> None:
        await asyncio.sleep(delay)
        counted = False
        try:
            await phone.dial()
            ok = await greeted(phone, self.expect)
            self._greeted_one()
            counted = True
            if not ok:
                self.note("no greeting")
            elif not self.args.silent:  # silent phones go on streaming the caller's (silent) audio
                rng = random.Random(self.args.seed * 100_003 + phone.number)
                done = lambda: time.monotonic() >= self.window_end  # noqa: E731
                speaking = self.args.latency != "zero"
                if problem := await converse(phone, self.expect, done=done, rng=rng, speaking=speaking):
                    self.note(problem)
        except Exception as exc:  # a refused handshake or a bench bug is a result, not a crash
            self.note(f"{type(exc).__name__}: {exc}"[:120])
        finally:
            if not counted:
                self._greeted_one()


async def concurrent_calls(
    run: Run,
    calls: list[dict[str, str]],
    warm: dict[str, str],
    expect: Expect,
    args: argparse.Namespace,
    figures: Figures,
) -> None:
    server, fakes = run.start_server("concurrent"), run.fakes
    await _warm_up(server, warm, expect)
    await asyncio.to_thread(fakes.ask, "reset")
    rss_idle = tree_rss_mb(server.pid)
    board = None
    if getattr(args, "board", False):  # a staff member watches the live board for the whole run
        board = BoardWatcher(server.url, await asyncio.to_thread(staff_session_cookie))
        await board.start()
    tally = Tally()
    phones = [Phone(i, server.url, p, tally, real_time=True) for i, p in enumerate(calls)]
    crowd = Crowd(phones, expect, args)
    started = time.monotonic()
    tasks = [asyncio.create_task(crowd.call(p, args.ramp * i / len(phones))) for i, p in enumerate(phones)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(crowd.all_greeted.wait(), args.ramp + 60)
    server.profile_start()
    first = Reading.take(tally, phones, server, fakes)
    crowd.window_end = first.at + args.seconds
    await asyncio.sleep(args.seconds)
    last = Reading.take(tally, phones, server, fakes)
    server.profile_stop()
    rss_loaded = tree_rss_mb(server.pid)
    await asyncio.wait(tasks, timeout=30)  # each call finishes the turn it is in
    for phone in phones:
        await phone.stop_audio()
    await asyncio.sleep(1.0)  # frames still in the server's buffers reach the fake recognizer
    frames = await asyncio.to_thread(fakes.ask, "frames", since=first.at, until=last.at)
    acted = (await asyncio.to_thread(fakes.ask, "cues"))["cues"]
    prompts = (await asyncio.to_thread(fakes.ask, "prompts"))["prompts"]
    await asyncio.gather(*(p.hang_up() for p in phones), return_exceptions=True)
    for task in tasks:
        task.cancel()
    if board is not None:
        await asyncio.sleep(1.0)  # the hang-ups reach the board
        await board.stop()
        figures.notes.append(f"live board open during the run; it received: {board.summary()}")
    run.stop_server("concurrent", figures)

    sent = sum(p.frames_sent_between(first.at, last.at) for p in phones)
    lost = max(0, sent - sum(frames["received"].values()))
    cues = [c for c in tally.cues if first.at <= c.sent_at < last.at]
    figures.add("calls held", f"{last.alive}/{len(phones)}", last.alive == len(phones))
    figures.add("ramp (dial + greeting)", f"{first.at - started:.1f} s")
    _frame_figures(figures, first, last, tally, lost, frames["transit_ms"])
    if not args.silent:
        _latency_figures(figures, cues, acted, tally)
        _voice_to_voice_figures(figures, cues, tally, args, run.engine)
        _prompt_figures(figures, prompts)
    _cost_figures(figures, first, last, rss_idle, rss_loaded)
    if crowd.failures:
        figures.notes.append(
            "concurrent: " + ", ".join(f"{k}: {v}" for k, v in sorted(crowd.failures.items()))
        )


def _frame_figures(
    figures: Figures, first: Reading, last: Reading, tally: Tally, lost: int, transit: dict[str, float | None]
) -> None:
    counts = {k: last.tally[k] - first.tally[k] for k in last.tally}
    elapsed = last.at - first.at
    figures.add("frames/s in (caller)", f"{counts['frames_sent'] / elapsed:.0f}")
    figures.add("frames/s out (media, marks)", f"{counts['frames_in'] / elapsed:.0f}")
    figures.add(
        "late frames (> 5 ms)",
        f"{counts['late']:.0f} of {counts['frames_sent']:.0f} (max {tally.max_late_ms:.0f} ms)",
    )
    unsent = counts["dropped"]
    figures.add("dropped frames", f"{unsent:.0f} unsent + {lost} lost in server", unsent + lost == 0)
    figures.add(
        "frame transit p50/p99",
        f"{num(transit['p50'])}/{num(transit['p99'])} ms (max {num(transit['max'])})",
    )


def _latency_figures(figures: Figures, cues: list[Cue], acted: dict[str, float], tally: Tally) -> None:
    samples, missing = merge_cues(cues, acted), unanswered(cues)
    turns, barges = samples[TURN], samples[BARGE]
    figures.add(
        "turn overhead p50/p95/p99",
        f"{ms(turns, 50)}/{ms(turns, 95)}/{ms(turns, 99)} ms (n={len(turns)})",
        bool(turns) and pct(turns, 99) < TURN_P99_GOAL_MS,
    )
    figures.add(
        "barge-in p50/p95",
        f"{ms(barges, 50)}/{ms(barges, 95)} ms (n={len(barges)})",
        bool(barges) and pct(barges, 95) < BARGE_P95_GOAL_MS,
    )
    figures.add(
        "unanswered turns/barge-ins", f"{missing[TURN]}/{missing[BARGE]}", missing[TURN] + missing[BARGE] == 0
    )
    figures.add("agent audio after clear", f"{tally.stale_media} frames", tally.stale_media == 0)


def _voice_to_voice_figures(
    figures: Figures, cues: list[Cue], tally: Tally, args: argparse.Namespace, engine: str
) -> None:
    from bench.calls_wire import REPLY
    from tests.fakes.latency import PROFILES

    samples = voice_to_voice(cues)
    figures.add(
        f"voice-to-voice p50/p95/p99 ({args.latency}, {args.stt})",
        f"{ms(samples, 50)}/{ms(samples, 95)}/{ms(samples, 99)} ms (n={len(samples)})",
    )
    if args.latency != "zero":
        kinds = {
            "plain": lambda c: c.kind == TURN and not c.paused,
            "paused": lambda c: c.paused,
            "final changed": lambda c: c.kind == TURN_ALT,
        }
        figures.add(
            "voice-to-voice p50/p95 by turn: " + " | ".join(kinds),
            " | ".join(
                f"{ms(part, 50)}/{ms(part, 95)} (n={len(part)})"
                for part in (voice_to_voice(cues, which) for which in kinds.values())
            ),
        )
    profile = PROFILES[args.latency]
    first_sentence = len(REPLY.split(".")[0].split())
    if engine == "cascade":
        try:
            from voice.engines.cascade.speculation import SPECULATE_AFTER
        except ImportError:  # the code before speculative replies (a "before" run)
            speculative = "-"
        else:
            started = profile.flux_eager_end if args.stt == "flux" else SPECULATE_AFTER
            speculative = f"{profile.speculative_floor(started, 1) * 1000:.0f}"
            if args.stt != "flux":  # a changed final restarts the reply once the Finalize answers
                restarted = profile.speculative_floor(started + profile.stt_finalize_delay, 1)
                speculative += f" / {restarted * 1000:.0f}"
        floors = f"{profile.naive_floor(first_sentence) * 1000:.0f} / {speculative} ms"
    else:
        realtime_floor = profile.realtime_vad_silence + profile.realtime_first_audio
        floors = f"{realtime_floor * 1000:.0f} ms (VAD + first audio)"
    figures.add("floor: naive / speculative (/ final changed)", floors)
    counts = {k: v for k, v in tally.snapshot().items() if k in ("wrong_replies", "talked_over")}
    figures.add(
        "replies heard for a non-final transcript",
        f"{counts['wrong_replies']:.0f}",
        counts["wrong_replies"] == 0,
    )
    figures.add(
        "agent audio while the caller spoke",
        f"{counts['talked_over']:.0f} frames",
        counts["talked_over"] == 0,
    )


def _prompt_figures(figures: Figures, prompts: list[list[object]]) -> None:
    """Chat requests seen by the fake model: size per turn and whether each kept its call's prefix."""
    if not prompts:
        return
    sizes = sorted(int(p[0]) for p in prompts)  # type: ignore[call-overload]
    kept = [p[2] for p in prompts if p[2] is not None]
    figures.add(
        "prompt per request p50/max, prefix kept",
        f"{sizes[len(sizes) // 2] / 1000:.1f}/{sizes[-1] / 1000:.1f} kB, {sum(map(bool, kept))}/{len(kept)}",
    )


def _cost_figures(
    figures: Figures, first: Reading, last: Reading, rss_idle: float, rss_loaded: float
) -> None:
    elapsed = last.at - first.at
    live = (first.alive + last.alive) / 2 or 1
    server = last.server - first.server
    per_call_second = server * 1000 / (live * elapsed) or math.nan
    figures.add("server CPU", f"{server / elapsed * 100:.0f}% of a core")
    figures.add(
        "server CPU per live call-second",
        f"{per_call_second:.2f} ms (1 core ≈ {1000 / per_call_second:.0f} calls)",
    )
    figures.add(
        "server RSS, per live call",
        f"{rss_loaded:.0f} MB, {(rss_loaded - rss_idle) / max(1, last.alive):.2f} MB",
    )
    phones, fakes = last.phones - first.phones, last.fakes - first.fakes
    others = max(0.0, last.machine - first.machine - server - phones - fakes)
    figures.add(
        "phones / fakes / other processes CPU",
        f"{phones / elapsed * 100:.0f}% / {fakes / elapsed * 100:.0f}% / {others / elapsed * 100:.0f}%",
    )


async def sequential_calls(
    run: Run, calls: list[dict[str, str]], warm: dict[str, str], expect: Expect, lanes: int, figures: Figures
) -> None:
    """`lanes` phones each make calls one after another (connect, greeting, one turn, hang up); the
    server's RSS is read at each checkpoint once the calls before it have ended."""
    server = run.start_server("sequential")
    rss = {0: rss_mb(server.pid)}
    rss_collected: dict[int, float] = {}
    await _warm_up(server, warm, expect)
    await asyncio.to_thread(run.fakes.ask, "reset")
    tally = Tally()
    failures: dict[str, int] = {}
    started = time.monotonic()
    cpu_before = cpu_seconds(server.pid)
    server.profile_start()
    checkpoints = sorted({c for c in RSS_CHECKPOINTS if c < len(calls)} | {len(calls)})
    done = 0
    for checkpoint in checkpoints:
        todo = iter(range(done, checkpoint))

        async def lane(todo: Iterator[int]) -> None:
            for i in todo:
                phone = Phone(i, server.url, calls[i], tally, real_time=False)
                try:
                    await phone.dial()
                    problem = None
                    if not await greeted(phone, expect, within=10):
                        problem = "no greeting"
                    elif not await take_turn(phone, expect):
                        problem = "turn not answered"
                except Exception as exc:
                    problem = f"{type(exc).__name__}: {exc}"[:120]
                await phone.hang_up()
                if problem:
                    failures[problem] = failures.get(problem, 0) + 1

        await asyncio.gather(*(lane(todo) for _ in range(lanes)))
        done = checkpoint
        await asyncio.sleep(1.0)  # the last calls' teardown finishes
        rss[checkpoint] = rss_mb(server.pid)
        if run.memory:
            server.memory_report()
            await asyncio.sleep(2.0)
            rss_collected[checkpoint] = rss_mb(server.pid)
    elapsed = time.monotonic() - started
    server.profile_stop()
    cpu = cpu_seconds(server.pid) - cpu_before
    acted = (await asyncio.to_thread(run.fakes.ask, "cues"))["cues"]
    run.stop_server("sequential", figures)
    failed = sum(failures.values())
    if failures:
        figures.notes.append("sequential: " + ", ".join(f"{k}: {v}" for k, v in sorted(failures.items())))

    turns = merge_cues(tally.cues, acted)[TURN]
    count = len(calls)
    figures.add(
        f"sequential calls ok ({lanes} at a time)",
        f"{count - failed}/{count} ({elapsed / count * 1000:.0f} ms each)",
        failed == 0,
    )
    figures.add("server CPU per call", f"{max(0.0, cpu) * 1000 / count:.0f} ms")
    figures.add(
        "RSS: start, after " + ", ".join(str(k) for k in rss if k),
        " / ".join(f"{v:.0f}" for v in rss.values()) + " MB",
    )
    if rss_collected:
        figures.add("RSS after a full GC", " / ".join(f"{v:.0f}" for v in rss_collected.values()) + " MB")
    # Memory that grows only while the allocator warms up levels off; a leak keeps on growing: so
    # judge the second half of the calls.
    base = max((k for k in rss if 0 < k <= count // 2), default=min(k for k in rss if k))
    growth_kb = (rss[count] - rss[base]) * 1024 / max(1, count - base)
    figures.add(
        f"RSS growth, calls {base}→{count}",
        f"{(rss[count] - rss[base]):+.1f} MB ({growth_kb:+.1f} KB/call)",
        growth_kb < FLAT_KB_PER_CALL,
    )
    figures.add("sequential turn overhead p50/p95/p99", f"{ms(turns, 50)}/{ms(turns, 95)}/{ms(turns, 99)} ms")
