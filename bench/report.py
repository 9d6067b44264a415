"""Timing helpers and the printed table shared by benchmarks (no Django needed)."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter


@dataclass
class Row:
    group: str
    name: str
    samples_ms: list[float]
    goal_ms: float | None = None
    queries: float | None = None
    sql_ms: float | None = None
    note: str = ""

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def verdict(self) -> str:
        if self.goal_ms is None:
            return self.note
        verdict = "PASS" if self.p95 < self.goal_ms else "MISS"
        return f"{verdict} {self.note}".rstrip()


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def timed(call: Callable[[int], object], *, iterations: int, warmup: int) -> list[float]:
    """Milliseconds per call of `call(i)`, after `warmup` untimed calls."""
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(warmup, warmup + iterations):
        started = perf_counter()
        call(i)
        samples.append((perf_counter() - started) * 1000)
    return samples


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[Row]) -> str:
    header = (
        "operation",
        "n",
        "min ms",
        "p50 ms",
        "p95 ms",
        "max ms",
        "queries",
        "SQL ms",
        "goal p95",
        "result",
    )
    lines = [
        (
            f"{row.group}: {row.name}",
            str(len(row.samples_ms)),
            _num(min(row.samples_ms)),
            _num(row.p50),
            _num(row.p95),
            _num(max(row.samples_ms)),
            _num(row.queries, 1),
            _num(row.sql_ms),
            f"< {row.goal_ms:g} ms" if row.goal_ms is not None else "-",
            row.verdict,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        middle = "  ".join(c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True))
        return f"{first}  {middle}  {cells[-1]}".rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])
