"""The dashboard's figures as Chart.js configurations for unfold's chart components
(`unfold/components/chart/{bar,line}.html`): JSON in `data-value` / `data-options` attributes, drawn by
unfold's own static app.js, so no script runs inline (our admin CSP allows none)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from insights.calls import Rang
from insights.selectors import Dashboard

BLUE, GREEN, AMBER, RED = "#2563eb", "#16a34a", "#f59e0b", "#dc2626"
# Keyed by Rang value ("open", …): other series take their colours by name below, not from here.
COLORS = {
    Rang.OPEN: BLUE,
    Rang.AFTER_HOURS: AMBER,
    Rang.WEEKEND: RED,
    "booked": BLUE,
    "realised": GREEN,
    "p50": BLUE,
    "p95": RED,
    "errors": RED,
}
HOURS = [f"{(h % 12) or 12} {'AM' if h < 12 else 'PM'}" for h in range(24)]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    kind: str  # "bar" | "line"
    data: str  # JSON
    options: str  # JSON


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _dataset(label: str, values: list, color: str, **more: Any) -> dict[str, Any]:
    return {
        "label": label,
        "data": [_number(v) for v in values],
        "backgroundColor": color,
        "borderColor": color,
        **more,
    }


def _options(*, stacked: bool = False, legend: bool = True, unit: str = "", counts: bool = True) -> str:
    axis = {"stacked": stacked, "grid": {"display": False}}
    y: dict[str, Any] = {"stacked": stacked, "beginAtZero": True}
    if counts:
        # Calls, reminders, callbacks are whole numbers: no 0.5 ticks when the bars are small.
        y["ticks"] = {"precision": 0}
    if unit:
        y["title"] = {"display": True, "text": unit}
    return json.dumps(
        {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "plugins": {"legend": {"display": legend, "position": "bottom"}},
            "scales": {"x": axis, "y": y},
        }
    )


def _chart(id_: str, title: str, kind: str, labels: list[str], datasets: list[dict], **options: Any) -> Chart:
    return Chart(id_, title, kind, json.dumps({"labels": labels, "datasets": datasets}), _options(**options))


def dashboard_charts(dashboard: Dashboard) -> list[Chart]:
    labels = dashboard.labels
    rang = [(kind, label) for kind, label in Rang.choices]
    return [
        _chart(
            "chart-calls",
            "Calls answered",
            "bar",
            labels,
            [_dataset(str(lbl), dashboard.calls_per_bucket[k], COLORS[k]) for k, lbl in rang],
            stacked=True,
        ),
        _chart(
            "chart-hours",
            "When callers call (hour of the day, shop time)",
            "bar",
            HOURS,
            [_dataset(str(lbl), dashboard.calls_per_hour[k], COLORS[k]) for k, lbl in rang],
            stacked=True,
        ),
        _chart(
            "chart-outcomes",
            "What the calls ended with",
            "bar",
            [f.label for f in dashboard.outcomes],
            [_dataset("calls", [f.value for f in dashboard.outcomes], BLUE)],
            legend=False,
        ),
        _chart(
            "chart-revenue",
            "Revenue: booked by the AI and realized",
            "bar",
            labels,
            [
                _dataset("Booked by the AI", dashboard.revenue_per_bucket["booked"], COLORS["booked"]),
                _dataset("Realized (invoiced)", dashboard.revenue_per_bucket["realised"], COLORS["realised"]),
            ],
            unit="$",
            counts=False,
        ),
        _chart(
            "chart-reminders",
            "Reminder results",
            "bar",
            [f.label for f in dashboard.reminder_results],
            [_dataset("reminders", [f.value for f in dashboard.reminder_results], GREEN)],
            legend=False,
        ),
        _chart(
            "chart-callbacks",
            "Callback requests received",
            "bar",
            labels,
            [
                _dataset("Handled", dashboard.callbacks_per_bucket["handled"], GREEN),
                _dataset("Still open", dashboard.callbacks_per_bucket["open"], AMBER),
            ],
            stacked=True,
        ),
        _chart(
            "chart-latency",
            "Receptionist response time (end of speech → first audio)",
            "line",
            labels,
            [
                _dataset("p50", dashboard.latency_p50, COLORS["p50"], spanGaps=True),
                _dataset("p95", dashboard.latency_p95, COLORS["p95"], spanGaps=True),
            ],
            unit="ms",
            counts=False,
        ),
        _chart(
            "chart-errors",
            "Calls with a provider error",
            "bar",
            labels,
            [_dataset("calls", dashboard.errors_per_bucket, COLORS["errors"])],
            legend=False,
        ),
    ]
