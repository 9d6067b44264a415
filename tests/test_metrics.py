"""GET /metrics: off without METRICS_TOKEN, bearer token required, and the figures move when things
happen (a tool run, a call); in multiprocess mode one scrape adds up the web processes and a Celery
worker writing to the same PROMETHEUS_MULTIPROC_DIR."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from prometheus_client.parser import text_string_to_metric_families

from tests.calls import FakePhone, caller_says, greeted, inbound_call, spoken
from tests.fakes.fake_openai import ErrorReply, TextReply, tool_reply
from tests.test_browser_call_socket import member, page_dials
from tests.web_process import ROOT, the_test_database_url, web_process
from voice.browser_calls.services import browser_call_place
from voice.models import Call
from voice.services import call_status_callback, turn_record
from voice.tasks import SUMMARY_MAX_RETRIES, call_summarise_task

TOKEN = "metrics-token-for-tests-0123456789"
TOOLS_KEY = "tools-api-key-for-tests-0123456789abcdef"


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset((k, v) for k, v in sample.labels.items() if k != "pid")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return parse(response.content.decode())


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class TestAccess:
    def test_it_is_not_found_without_a_token_configured(self, client, settings):
        settings.METRICS_TOKEN = ""
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404

    @pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
    def test_it_refuses_a_missing_or_wrong_token(self, client, settings, header):
        settings.METRICS_TOKEN = TOKEN
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.get("/metrics", **extra)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"dealership_" not in response.content

    def test_it_scrapes_with_the_token(self, client, settings):
        settings.METRICS_TOKEN = TOKEN
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        body = response.content.decode()
        for name in (
            "dealership_live_calls",
            "dealership_calls_total",
            "dealership_turn_latency_seconds",
            "dealership_barge_in_seconds",
            "dealership_tool_duration_seconds",
            "dealership_provider_errors_total",
            "dealership_reminders_queued_total",
            "dealership_celery_queue_delay_seconds",
        ):
            assert f"# TYPE {name.removesuffix('_total')}" in body

    def test_it_answers_get_only(self, client, settings):
        settings.METRICS_TOKEN = TOKEN
        assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_a_tool_run_on_the_tools_api_is_counted(client, settings, shop, catalog):
    settings.METRICS_TOKEN, settings.TOOLS_API_KEY = TOKEN, TOOLS_KEY
    before = scrape(client)
    response = client.post(
        "/tools/list-services/",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOOLS_KEY}",
    )
    assert response.status_code == 200
    after = scrape(client)
    name = "dealership_tool_duration_seconds_count"
    assert (
        value(after, name, tool="list_services", outcome="ok")
        == value(before, name, tool="list_services", outcome="ok") + 1
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cascade_live")
async def test_a_call_moves_the_call_tool_and_latency_figures(
    call, settings, async_client, fake_deepgram, fake_openai
):
    settings.METRICS_TOKEN = TOKEN

    async def ascrape():
        response = await async_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        return parse(response.content.decode())

    before = await ascrape()
    fake_openai.script = [tool_reply("list_services"), TextReply("We do oil changes and tire rotations.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        during = await ascrape()
        await caller_says(fake_deepgram, "What services do you offer?")
        await phone.wait_for(lambda: any("tire rotations" in t for t in spoken(fake_deepgram)))
        await phone.played_out(next(t for t in spoken(fake_deepgram) if "tire rotations" in t))
    finally:
        await phone.hang_up()
    await database_sync_to_async(call_status_callback)(call_sid=call.call_sid, twilio_status="completed")
    after = await ascrape()

    assert value(during, "dealership_live_calls") == value(before, "dealership_live_calls") + 1
    assert value(after, "dealership_live_calls") == value(before, "dealership_live_calls")
    tools = "dealership_tool_duration_seconds_count"
    assert value(after, tools, tool="list_services", outcome="ok") == (
        value(before, tools, tool="list_services", outcome="ok") + 1
    )
    turns = "dealership_turn_latency_seconds_count"
    assert value(after, turns) > value(before, turns)
    ended = "dealership_calls_total"
    assert value(after, ended, outcome="abandoned") == value(before, ended, outcome="abandoned") + 1


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cascade_live")
async def test_a_browser_test_call_moves_no_figure(
    customer, settings, async_client, fake_deepgram, fake_openai
):
    """Test calls are left out of /metrics (not labelled): live calls, tool runs, turn latency and calls
    ended stay where they were, so every dashboard counts real callers only."""
    settings.METRICS_TOKEN = TOKEN

    async def ascrape():
        response = await async_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        return parse(response.content.decode())

    before = await ascrape()
    fake_openai.script = [tool_reply("list_services"), TextReply("We do oil changes and tire rotations.")]
    user = await database_sync_to_async(member)("advisor")
    call = await database_sync_to_async(browser_call_place)(engine="cascade", customer_id=customer.pk)
    phone = await page_dials(user, call)
    try:
        await greeted(phone, fake_deepgram)
        during = await ascrape()
        await caller_says(fake_deepgram, "What services do you offer?")
        await phone.wait_for(lambda: any("tire rotations" in t for t in spoken(fake_deepgram)))
        await phone.played_out(next(t for t in spoken(fake_deepgram) if "tire rotations" in t))
    finally:
        await phone.hang_up()
    ended = Call.objects.filter(pk=call.pk, status=Call.Status.COMPLETED)
    for _ in range(50):  # the socket's end is recorded just after it closed
        if await database_sync_to_async(ended.exists)():
            break
        await asyncio.sleep(0.1)
    after = await ascrape()

    assert value(during, "dealership_live_calls") == value(before, "dealership_live_calls")
    for name, labels in [
        ("dealership_tool_duration_seconds_count", {"tool": "list_services", "outcome": "ok"}),
        ("dealership_turn_latency_seconds_count", {}),
        ("dealership_calls_total", {"outcome": "abandoned"}),
    ]:
        assert value(after, name, **labels) == value(before, name, **labels), name


def _get(url: str, token: str | None = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _list_services(origin: str) -> None:
    request = urllib.request.Request(
        f"http://{origin}/tools/list-services/",
        data=b"{}",
        headers={"Authorization": f"Bearer {TOOLS_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["services"]


@pytest.mark.django_db(transaction=True)
def test_the_web_server_sets_up_its_own_multiprocess_directory(settings, shop, catalog):
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    with web_process(WEB_CONCURRENCY="2", TOOLS_API_KEY=TOOLS_KEY, METRICS_TOKEN=TOKEN) as origin:
        for _ in range(6):  # new connections each: the kernel spreads them over the two processes
            _list_services(origin)
        for _ in range(4):  # whichever process answers, the figure is the sum
            status, body = _get(f"http://{origin}/metrics")
            assert status == 200
            name = "dealership_tool_duration_seconds_count"
            assert value(parse(body), name, tool="list_services", outcome="ok") == 6


@pytest.mark.django_db(transaction=True)
def test_one_scrape_adds_up_the_web_processes_and_a_celery_worker(tmp_path: Path, settings, shop, catalog):
    """Two web processes (WEB_CONCURRENCY=2) and a Celery worker share one multiprocess directory:
    tool runs served by either web process and the worker's queue delay all show in any scrape."""
    directory = tmp_path / "metrics"
    shared = {"METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    queue = f"metrics-test-{os.getpid()}"
    worker_env = {
        **os.environ,
        **shared,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": the_test_database_url(),
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "worker.log"
    with (
        web_process(WEB_CONCURRENCY="2", TOOLS_API_KEY=TOOLS_KEY, **shared) as origin,
        log.open("wb") as out,
    ):
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dealership", "worker", "--pool", "solo", "-Q", queue],
            cwd=ROOT,
            env=worker_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert _get(f"http://{origin}/metrics", token=None)[0] == 401
            for _ in range(6):
                _list_services(origin)
            call_summarise_task.apply_async(args=(0,), queue=queue)  # "no such call": quick
            deadline = time.monotonic() + 60
            samples: dict = {}
            while time.monotonic() < deadline:
                status, body = _get(f"http://{origin}/metrics")
                assert status == 200
                samples = parse(body)
                if value(
                    samples, "dealership_celery_queue_delay_seconds_count", task="voice.tasks.call_summarise"
                ):
                    break
                assert worker.poll() is None, log.read_text()[-3000:]
                time.sleep(0.3)
            else:
                raise AssertionError("the worker's figure never showed; log:\n" + log.read_text()[-3000:])
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)

    assert value(samples, "dealership_tool_duration_seconds_count", tool="list_services", outcome="ok") == 6
    writers = {path.name.rsplit("_", 1)[-1] for path in directory.glob("histogram_*.db")}
    assert len(writers) >= 2  # at least one web process and the worker wrote samples


@pytest.mark.django_db
def test_provider_failures_are_counted_by_provider_and_kind(
    client, settings, shop, fake_openai, eager_celery
):
    settings.METRICS_TOKEN = TOKEN
    call = inbound_call()
    turn_record(call_id=call.pk, role="caller", text="Is the shop open on Sunday?")
    fake_openai.structured = lambda body: ErrorReply(503)
    before = scrape(client)
    call_summarise_task.apply_async(args=(call.pk,))
    after = scrape(client)
    name = "dealership_provider_errors_total"
    assert value(after, name, provider="openai", kind="transient") == (
        value(before, name, provider="openai", kind="transient") + 1 + SUMMARY_MAX_RETRIES
    )
