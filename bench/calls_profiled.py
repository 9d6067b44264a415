"""The `web` server (dealership.serve) with diagnostics switched by signals, for bench/calls.py
--profile / --memory.

    HOST=127.0.0.1 PORT=8000 python -m bench.calls_profiled OUT

SIGUSR1 starts cProfile, SIGUSR2 stops it and writes OUT.prof. The profiler counts CPU time
(time.process_time), not wall time: on a busy machine a socket send that waits for the CPU would
otherwise look expensive. SIGHUP runs a full garbage collection and appends to OUT.mem the number of
objects it freed and the most numerous live object types, to tell retained memory from garbage that
was waiting for the collector; with BENCH_TRACEMALLOC=1 it also says where Python allocations grew
since the last report.

What-if, for diagnosis only: BENCH_SHARED_SSL=1 makes ssl.create_default_context() return one cached
context per set of arguments, which is what sharing one SSL context (or one SDK client) across calls
in integrations/ would do: the figures then show what that fix buys.
"""

from __future__ import annotations

import cProfile
import gc
import os
import signal
import ssl
import sys
import time
import tracemalloc
from collections import Counter
from types import FrameType

from dealership import serve

_snapshots: list[tracemalloc.Snapshot] = []


def _memory_report(out: str) -> None:
    before = len(gc.get_objects())
    freed = gc.collect()
    objects = gc.get_objects()
    kinds = Counter(type(o).__qualname__ for o in objects)
    with open(f"{out}.mem", "a") as report:
        report.write(f"gc freed {freed} of {before} tracked objects; {len(objects)} left\n")
        report.write("  " + ", ".join(f"{name} {n}" for name, n in kinds.most_common(25)) + "\n")
        if tracemalloc.is_tracing():
            _snapshots.append(tracemalloc.take_snapshot())
            traced = tracemalloc.get_traced_memory()[0] / 2**20
            report.write(f"  Python allocations (tracemalloc): {traced:.1f} MB\n")
            if len(_snapshots) > 1:
                growth = _snapshots[-1].compare_to(_snapshots[-2], "traceback")[:8]
                for stat in growth:
                    report.write(f"  {stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks at\n")
                    report.write("".join(f"      {line}\n" for line in stat.traceback.format()[-6:]))


def _share_ssl_contexts() -> None:
    create = ssl.create_default_context
    cache: dict[tuple[object, ...], ssl.SSLContext] = {}

    def shared(*args: object, **kwargs: object) -> ssl.SSLContext:
        key = (*args, *sorted(kwargs.items()))
        if key not in cache:
            cache[key] = create(*args, **kwargs)  # type: ignore[arg-type]
        return cache[key]

    ssl.create_default_context = shared  # type: ignore[assignment]


def main() -> None:
    out = sys.argv[1]
    if os.environ.get("BENCH_SHARED_SSL") == "1":
        _share_ssl_contexts()
    profiler = cProfile.Profile(time.process_time)

    def start(signum: int, frame: FrameType | None) -> None:
        profiler.enable()

    def stop(signum: int, frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(f"{out}.prof")

    def memory(signum: int, frame: FrameType | None) -> None:
        _memory_report(out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    signal.signal(signal.SIGHUP, memory)
    if os.environ.get("BENCH_TRACEMALLOC") == "1":
        tracemalloc.start(12)
    serve.main()


if __name__ == "__main__":
    main()
