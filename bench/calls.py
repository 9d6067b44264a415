"""Live-call benchmark: the real server, zero-latency fake providers, phones talking in real time.

    .venv/bin/python bench/calls.py [--engine cascade|realtime|both] [--calls 200] [--seconds 30]
        [--ramp 40] [--sequential 1000] [--lanes 4] [--silent] [--board] [--profile] [--memory] [--keep-db]
        [--latency zero|typical|slow] [--stt nova-3|flux]

Creates the database `dealership_bench_calls` (`BENCH_CALLS_DB` to use another name, e.g. when two
people benchmark on one PostgreSQL; server of DATABASE_URL, default local PostgreSQL),
seeds a shop, its catalog and one Call row per stream, then for each engine (an engine that cannot be
imported prints "<name> engine not available" instead of figures):

1. --calls concurrent calls. The `web` process (python -m dealership.serve: uvicorn) serves
   dealership.asgi:application in its own process, as in the Procfile, with every provider pointed
   at the fakes (bench/calls_fakes.py, another process). This process (bench/calls_phone.py) dials
   the calls over --ramp seconds and plays Twilio: a 20 ms frame
   every 20 ms per call, marks echoed once their audio has played. Each call hears the greeting, then
   takes turns; every other agent reply is cut short by the caller. Measured over --seconds once all
   calls were greeted: calls held, frames/s, late frames (sent > 5 ms after their slot), dropped
   frames (could not be sent, or sent but never reached the speech recognizer), frame transit (phone
   → server → recognizer), turn overhead (the fake recognizer sends the final transcript, or the fake
   Realtime server reports speech stopped → the first agent audio frame reaches the phone; the fake
   model and TTS answer at once, so this is the server's own time), barge-in (caller speech starts →
   `clear` reaches the phone), and CPU and RSS of the server from /proc. --silent: no turns, the cost
   of the audio path alone.
2. --sequential calls on a fresh server, --lanes at a time, each one after another (connect, greeting,
   one turn, hang up; marks echoed at once): server CPU per call and its RSS after 10, 100, 250, 500,
   750 and 1000 calls. Memory counts as flat when the second half of the calls grew it < 5 KB a call.

--latency (tests/fakes/latency.py) gives the fakes a provider latency profile: `zero` (default) is
the server's own cost as above; `typical`/`slow` make the phones speak (1.2 s of loud frames per
turn, a fifth of them with a pause mid-sentence, a fifth whose final transcript differs from the
interims) and the fakes answer at the providers' pace, and add: voice-to-voice latency (the caller's
last speech frame → the first agent audio frame at the phone) beside the naive floor (endpointing +
final delay + first token + first sentence + TTS first byte) and the speculative floor, replies heard
that answered a transcript that was not the final one (must be 0), agent audio while the caller was
speaking, and the size of each model request and whether it kept its call's prompt prefix. --stt flux
runs the cascade on Deepgram Flux (listen v2): the fake sends EagerEndOfTurn after the profile's
`flux_eager_end` of silence, TurnResumed if the caller goes on, EndOfTurn after `flux_end`.

REDIS_URL is set (default redis://127.0.0.1:6379/14, --redis '' for none) because production runs the
Redis channel layer; the server logs at INFO as in production (log paths are printed). The machine is
shared: "other processes CPU" says how busy it was. --profile prints a CPU profile of the measured
part; --memory also reads RSS after a full GC and writes an object census (bench/calls_profiled.py);
--daphne serves the same app with daphne instead, for comparison. --board keeps a staff member's live board
(`/voice/live/`, bench/calls_board.py) open through the concurrent run, receiving every call's turns.
--workers N runs the `web` command with WEB_CONCURRENCY=N (N processes sharing the port, as a host with
N cores would); CPU and RSS are then summed over the processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder would come first on sys.path and bench/scheduling.py would shadow the
# `scheduling` app: the project root must come first instead.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench import database  # noqa: E402
from bench.calls_phone import Expect  # noqa: E402
from bench.calls_report import (  # noqa: E402
    BARGE_P95_GOAL_MS,
    FLAT_KB_PER_CALL,
    TURN_P99_GOAL_MS,
    Figures,
    print_table,
)
from bench.calls_runs import Run, concurrent_calls, sequential_calls  # noqa: E402
from bench.calls_server import Fakes, server_environment  # noqa: E402
from bench.calls_wire import REPLY  # noqa: E402
from bench.report import machine_line  # noqa: E402

# BENCH_CALLS_DB: another name, so two benchmarks on one PostgreSQL server do not drop each other's database.
DB_NAME = os.environ.get("BENCH_CALLS_DB", "dealership_bench_calls")
ENGINES = ("cascade", "realtime")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="cascade")
    parser.add_argument("--calls", type=int, default=200, help="concurrent calls (0 skips)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window of the concurrent run")
    parser.add_argument("--ramp", type=float, default=40.0, help="seconds over which the calls dial in")
    parser.add_argument("--sequential", type=int, default=1000, help="sequential calls (0 skips)")
    parser.add_argument("--lanes", type=int, default=4, help="sequential calls made at a time")
    parser.add_argument("--tts-frame-bytes", type=int, default=800, help="fake TTS audio per message")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="REDIS_URL for the server")
    parser.add_argument("--silent", action="store_true", help="no turns: the audio path's cost alone")
    parser.add_argument(
        "--board", action="store_true", help="keep a live-board watcher open during the concurrent run"
    )
    parser.add_argument("--daphne", action="store_true", help="serve with daphne instead (comparison only)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="WEB_CONCURRENCY (CPU, RSS summed)",
    )
    parser.add_argument("--profile", action="store_true", help="run the server under cProfile")
    parser.add_argument("--memory", action="store_true", help="also read RSS after a full GC (diagnosis)")
    parser.add_argument("--latency", choices=["zero", "typical", "slow"], default="zero")
    parser.add_argument(
        "--stt", choices=["nova-3", "flux"], default="nova-3", help="flux: Deepgram Flux (listen v2) turns"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-db", action="store_true", help=f"leave the {DB_NAME} database behind")
    return parser.parse_args()


# --- database and expectations ---------------------------------------------------------------------------


def prepare_database() -> str:
    server = database.server_url()
    url = database.database_url(server, DB_NAME)
    database.recreate(server, DB_NAME, create=True)
    database.django_setup(url)
    from django.utils import timezone

    from bench.seed import catalog_create, shop_create

    shop_create(now=timezone.now())
    catalog_create()
    return url


_call_numbers = iter(range(1, 10**7))


def new_calls(count: int, engine: str) -> list[dict[str, str]]:
    """`count` inbound calls as the webhook records them; the stream parameters of each."""
    from voice.services import call_record_inbound
    from voice.streams import stream_parameters

    params = []
    for _ in range(count):
        n = next(_call_numbers)
        call = call_record_inbound(
            call_sid=f"CA{n:032x}",
            from_number=f"+1773{2000000 + n:07d}",
            to_number="+13125550100",
            engine=engine,
        )
        params.append(stream_parameters(call))
    return params


def expected_audio(engine: str, parameters: dict[str, str]) -> Expect:
    """Bytes of fake agent audio in the greeting and in a reply, as the fakes will produce them."""
    from bench.calls_fakes import REALTIME_MS_PER_WORD

    if engine == "realtime":  # every response of the fake says REPLY
        size = len(REPLY.split()) * REALTIME_MS_PER_WORD * 8
        return Expect(greeting=size, reply=size)
    from bench.calls_wire import REPLY_ALT, TURN, TURN_ALT
    from tests.fakes.deepgram_messages import fake_audio_for
    from voice.agent.context import agent_setup_for_call
    from voice.agent.ear import for_the_ear
    from voice.agent.sentences import SentenceChunker
    from voice.engines.base import CallContext
    from voice.models import Call

    call = Call.objects.get(call_sid=parameters["call_sid"])
    context = CallContext(
        call_sid=call.call_sid,
        stream_sid="MZ" + "0" * 32,
        call_id=call.pk,
        direction=call.direction,
        from_number=call.from_number,
        to_number=call.to_number,
        customer_id=call.customer_id,
        engine=engine,
    )
    greeting = agent_setup_for_call(call=context).greeting
    chunker, sentences = SentenceChunker(), []
    for piece in re.findall(r"\s*\S+", REPLY):  # as the fake model streams it
        if ready := chunker.feed(piece):
            sentences.append(" ".join(ready))
    sentences.extend(chunker.flush())
    return Expect(
        greeting=len(fake_audio_for(for_the_ear(greeting))),
        reply=sum(len(fake_audio_for(for_the_ear(s))) for s in sentences),
        first_byte={TURN: fake_audio_for(REPLY)[0], TURN_ALT: fake_audio_for(REPLY_ALT)[0]},
    )


def engine_available(engine: str) -> str | None:
    """None if the engine can be used, else why not."""
    from voice.engines import UnknownEngine, get_engine

    try:
        get_engine(engine)
    except UnknownEngine as exc:
        return str(exc)
    return None


# --- main -------------------------------------------------------------------------------------------------


def _bench_engine(engine: str, args: argparse.Namespace, url: str, log_dir: Path, fakes: Fakes) -> Figures:
    figures = Figures()
    stt_model = "flux-general-en" if args.stt == "flux" else "nova-3"
    env = server_environment(
        database_url=url, fakes=fakes, engine=engine, redis_url=args.redis, stt_model=stt_model
    )
    if args.silent:
        env["VOICE_IDLE_SECONDS"] = "3600"  # silent callers would be asked "are you still there?"
    run = Run(
        engine=engine,
        env=env,
        log_dir=log_dir,
        profile=args.profile,
        memory=args.memory,
        daphne=args.daphne,
        workers=args.workers,
        fakes=fakes,
    )
    warm = new_calls(2, engine)
    expect = expected_audio(engine, warm[0])
    if args.calls:
        calls = new_calls(args.calls, engine)
        asyncio.run(concurrent_calls(run, calls, warm[0], expect, args, figures))
    if args.sequential:
        calls = new_calls(args.sequential, engine)
        asyncio.run(sequential_calls(run, calls, warm[1], expect, args.lanes, figures))
    return figures


def main() -> None:
    args = _arguments()
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    print(f"machine: {machine_line()}, load average {os.getloadavg()[0]:.2f} at start")
    url = prepare_database()
    from django.db import connections

    log_dir = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    results: dict[str, Figures | str] = {}
    fakes = Fakes(tts_frame_bytes=args.tts_frame_bytes, latency=args.latency)
    try:
        for engine in engines:
            why = engine_available(engine)
            if why is not None:
                results[engine] = f"{engine} engine not available"
                print(f"{engine}: {why}")
                continue
            results[engine] = _bench_engine(engine, args, url, log_dir, fakes)
            connections.close_all()
    finally:
        fakes.stop()
        database.close_connections()
        if not args.keep_db:
            database.recreate(database.server_url(), DB_NAME, create=False)
    header = (
        f"\n{args.calls} concurrent calls for {args.seconds:g} s (ramp {args.ramp:g} s), "
        f"{args.sequential} sequential calls; goals: all calls held with 0 dropped frames, "
        f"turn overhead p99 < {TURN_P99_GOAL_MS:g} ms, barge-in p95 < {BARGE_P95_GOAL_MS:g} ms, "
        f"RSS flat (< {FLAT_KB_PER_CALL:g} KB/call)"
    )
    print_table(engines, results, header)


if __name__ == "__main__":
    main()
