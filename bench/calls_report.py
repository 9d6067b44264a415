"""What bench/calls.py prints: figures per engine, side by side, with PASS/MISS against the goals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.report import percentile

TURN_P99_GOAL_MS = 50.0
BARGE_P95_GOAL_MS = 20.0
FLAT_KB_PER_CALL = 5.0  # RSS growth per call over the second half of the sequential calls


@dataclass
class Figures:
    """name -> printed value, and name -> PASS/MISS, for one engine."""

    values: dict[str, str] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: str, verdict: bool | None = None) -> None:
        self.values[name] = value
        if verdict is not None:
            self.verdicts[name] = "PASS" if verdict else "MISS"


def ms(samples: list[float], p: int) -> str:
    """The p-th percentile of `samples` in ms, printed; "-" when there are none."""
    return f"{percentile(samples, p):.1f}" if samples else "-"


def pct(samples: list[float], p: int) -> float:
    """The p-th percentile; infinite when there are no samples (so no goal is met by nothing)."""
    return percentile(samples, p) if samples else math.inf


def num(value: float | None) -> str:
    """A measured value with one decimal; "-" when there is none."""
    return "-" if value is None else f"{value:.1f}"


def print_table(engines: list[str], results: dict[str, Figures | str], header: str) -> None:
    """One column per engine; an engine that could not run shows why instead of figures."""
    names: list[str] = []
    for figures in results.values():
        if isinstance(figures, Figures):
            names.extend(n for n in figures.values if n not in names)
    names = names or ["result"]
    columns = [[n for n in names]]
    for engine in engines:
        result = results[engine]
        if isinstance(result, str):
            columns.append([result if i == 0 else "" for i in range(len(names))])
        else:
            columns.append(
                [f"{result.values.get(n, '-')} {result.verdicts.get(n, '')}".rstrip() for n in names]
            )
    widths = [max(len(c) for c in [title, *col]) for title, col in zip(["", *engines], columns, strict=True)]
    print(header)
    print("  ".join(t.ljust(w) for t, w in zip(["figure", *engines], widths, strict=True)).rstrip())
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for row in range(len(names)):
        print("  ".join(col[row].ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip())
    for engine in engines:
        result = results[engine]
        if isinstance(result, Figures):
            for note in result.notes:
                print(f"[{engine}] {note}")
