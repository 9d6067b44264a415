"""Prometheus metrics (GET /metrics, DESIGN.md §4), with the maintained client library.

Several processes record: the web processes (WEB_CONCURRENCY) and Celery's worker processes. With
PROMETHEUS_MULTIPROC_DIR set (dealership.serve sets it up for the web processes; give the worker the
same directory on the same host), every process writes its samples to files there and /metrics adds
them up (prometheus_client's multiprocess mode). The variable must be in the environment before the
library is imported: the library picks its storage at import time.

Record where the event already happens, once per event (a call, a turn, a tool run), never per audio
frame: an increment is a few hundred nanoseconds in memory, a little more with mmap'ed files.
"""

from __future__ import annotations

import multiprocessing.util
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):
    # A process given a directory that is not there yet (a worker started before the web server)
    # would otherwise fail on its first metric.
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

# Seconds; a turn is "end of caller speech → first agent audio sent".
_TURN_BUCKETS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0)
_FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_QUEUE_BUCKETS = (0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

LIVE_CALLS = Gauge(
    "dealership_live_calls",
    "Calls with a live media stream, per process.",
    multiprocess_mode="liveall",  # one series per live process (its pid label); dead ones drop out
)
CALLS = Counter("dealership_calls", "Calls ended, by outcome.", ["outcome"])
TURN_LATENCY = Histogram(
    "dealership_turn_latency_seconds",
    "End of caller speech to the first agent audio sent, per turn.",
    buckets=_TURN_BUCKETS,
)
BARGE_IN = Histogram(
    "dealership_barge_in_seconds",
    "Caller speech detected over the agent to the agent's audio cleared (Twilio clear sent).",
    buckets=_FAST_BUCKETS,
)
TOOL_DURATION = Histogram(
    "dealership_tool_duration_seconds",
    "Tool runs (calls and the tools API), by tool and outcome.",
    ["tool", "outcome"],
    buckets=_FAST_BUCKETS,
)
PROVIDER_ERRORS = Counter(
    "dealership_provider_errors",
    "Provider failures, by provider and kind (permanent: retrying cannot help; transient).",
    ["provider", "kind"],
)
REMINDERS_QUEUED = Counter("dealership_reminders_queued", "Due reminders queued for delivery.")
REMINDER_DELIVERIES = Counter(
    "dealership_reminder_deliveries",
    "Reminder calls placed and texts sent, by channel and result.",
    ["channel", "result"],
)
CELERY_QUEUE_DELAY = Histogram(
    "dealership_celery_queue_delay_seconds",
    "From a task's publication (or its ETA) to a worker starting it, by task.",
    ["task"],
    buckets=_QUEUE_BUCKETS,
)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition() -> tuple[bytes, str]:
    """The scrape body and its content type: every process's samples added up in multiprocess mode,
    this process's own otherwise."""
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def process_exited(pid: int | None = None) -> None:
    """A process is going away: drop its live gauges (its counters and histograms stay counted)."""
    if multiprocess_enabled():
        multiprocess.mark_process_dead(pid if pid is not None else os.getpid())


if multiprocess_enabled():
    # Run at this process's exit (also in a multiprocessing child, where atexit handlers are not);
    # ignored by forked children, which Celery cleans up through worker_process_shutdown.
    multiprocessing.util.Finalize(None, process_exited, args=(os.getpid(),), exitpriority=0)
