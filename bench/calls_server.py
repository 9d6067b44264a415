"""The processes of bench/calls.py: the real server, the fake providers, and /proc readings.

The server is started exactly as in production (`python -m dealership.serve`, the Procfile's `web`)
with its providers pointed at the fakes; for --profile/--memory the same server runs under
bench/calls_profiled.py, which adds signal-driven cProfile and garbage-collector reports. --daphne
serves the same app with daphne instead, for comparison.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the `web` server with WEB_CONCURRENCY > 1 is a supervisor and
    its worker processes)."""
    pids, index = [pid], 0
    while index < len(pids):
        for children in Path(f"/proc/{pids[index]}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pids += [int(child) for child in children.read_text().split()]
        index += 1
    return pids


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(member)
    return total


def tree_rss_mb(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += rss_mb(member)
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used so far (all cores; /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[Any], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not listen on port {port} within {within:g} s")


class Fakes:
    """bench/calls_fakes.py in its own process; `ask()` sends one command and returns the answer."""

    def __init__(self, *, tts_frame_bytes: int, latency: str = "zero"):
        self.latency = latency
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.calls_fakes",
                "--tts-frame-bytes",
                str(tts_frame_bytes),
                "--latency",
                latency,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(json.loads(self._line())["port"])
        self.origin = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the fake providers' process ended unexpectedly")
        return line

    def ask(self, cmd: str, **fields: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.process.stdin.flush()
        return json.loads(self._line())

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(BrokenPipeError, SystemExit, ValueError):
                self.ask("stop")
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def server_environment(
    *, database_url: str, fakes: Fakes, engine: str, redis_url: str, stt_model: str = "nova-3"
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "OPENAI_", "TWILIO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="dealership.settings",
        DJANGO_DEBUG="false",
        # Outside DEBUG the settings refuse to start without a key; a benchmark signs nothing that matters.
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only-signing-key-" + "x" * 40,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VOICE_ENGINE=engine,
        TRANSFER_PHONE_NUMBER="",
        LOG_LEVEL=os.environ.get("BENCH_SERVER_LOG_LEVEL", "INFO"),
        DEEPGRAM_API_KEY="fake-deepgram-key",
        DEEPGRAM_BASE_URL=fakes.origin,
        DEEPGRAM_STT_MODEL=stt_model,
        OPENAI_API_KEY="sk-fake-openai-key",
        OPENAI_BASE_URL=f"{fakes.origin}/v1",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="fake-twilio-token",
        TWILIO_PHONE_NUMBER="+13125550100",
        TWILIO_API_BASE_URL=fakes.origin,
    )
    return env


class Server:
    """The `web` process serving dealership.asgi:application on a free local port; output to `log`.

    With `diagnostics=BASE` it runs under bench/calls_profiled.py: `profile_start()`/`profile_stop()`
    write BASE.prof (when `profile`), `memory_report()` appends a post-GC object census to BASE.mem.
    """

    def __init__(
        self,
        *,
        env: dict[str, str],
        log: IO[str],
        diagnostics: Path | None = None,
        profile: bool = False,
        daphne: bool = False,
        workers: int = 1,
    ):
        self.port = _free_port()
        env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        if workers > 1:
            diagnostics = None  # profiling follows one process
        command = [sys.executable, "-m", "dealership.serve"]
        if daphne:  # for comparison only
            address = ["-b", "127.0.0.1", "-p", str(self.port), "dealership.asgi:application"]
            command = [str(VENV_BIN / "daphne"), *address]
            diagnostics = None
        elif diagnostics is not None:
            command = [sys.executable, "-m", "bench.calls_profiled", str(diagnostics)]
        self.diagnostics = diagnostics
        self.profiling = profile and diagnostics is not None
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, within=60)
        self.url = f"ws://127.0.0.1:{self.port}/voice/stream/"

    def memory_report(self) -> None:
        if self.diagnostics is not None:
            self.process.send_signal(signal.SIGHUP)

    @property
    def pid(self) -> int:
        return self.process.pid

    def profile_start(self) -> None:
        if self.profiling:
            self.process.send_signal(signal.SIGUSR1)

    def profile_stop(self) -> None:
        if self.profiling:
            self.process.send_signal(signal.SIGUSR2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
