"""The HTTP tools API for external agent platforms: POST /tools/<slug>/ with a JSON object body and
`Authorization: Bearer $TOOLS_API_KEY`. Every answer is JSON with "success"; bad input is a 4xx with a
readable "error", never a 500."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from dealership.core.errors import ApplicationError
from dealership.core.throttle import lockout_response, tools_api_failed, tools_api_locked
from voice.tools.context import WEB, ToolContext
from voice.tools.registry import TOOLS_BY_SLUG, Outcome, parse_arguments, run_tool

MAX_BODY_BYTES = 64 * 1024
STATUS = {Outcome.OK: 200, Outcome.INVALID: 400, Outcome.REFUSED: 400, Outcome.ERROR: 500}


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"success": False, "error": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _key_problem(request: HttpRequest) -> JsonResponse | None:
    expected = settings.TOOLS_API_KEY
    if not expected:
        return _error(503, "The tools API is not configured.")
    # Checked before the key, so an address that is locked out learns nothing from a right guess.
    if tools_api_locked(request):
        return lockout_response(request)
    header = request.headers.get("Authorization")
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), expected.encode("utf-8")
    ):
        if header is not None:  # a key was tried (a request with none is not a guess)
            tools_api_failed(request)
        return _error(401, "A valid API key is required.", **{"WWW-Authenticate": 'Bearer realm="tools"'})
    return None


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return 0


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except Exception:  # RequestDataTooBig or a broken upload: the body is unusable either way
        raise ApplicationError("The request body could not be read.") from None


@csrf_exempt
def tool_view(request: HttpRequest, slug: str) -> JsonResponse:
    problem = _key_problem(request)
    if problem is not None:
        return problem
    tool = TOOLS_BY_SLUG.get(slug)
    if tool is None:
        return _error(404, f"There's no tool at /tools/{slug}/. Tools: {', '.join(sorted(TOOLS_BY_SLUG))}.")
    if request.method != "POST":
        return _error(405, "Use POST with a JSON object body.", Allow="POST")
    if _declared_length(request) > MAX_BODY_BYTES:
        return _error(413, "The request body is too large.")
    try:
        raw = _body(request)
        if len(raw) > MAX_BODY_BYTES:
            return _error(413, "The request body is too large.")
        arguments = parse_arguments(raw)
    except ApplicationError as exc:
        return _error(400, exc.message)
    run = run_tool(tool.name, arguments, context=ToolContext(channel=WEB))
    return JsonResponse(run.result, status=STATUS[run.outcome])


@csrf_exempt
def tool_index(request: HttpRequest) -> JsonResponse:
    """GET /tools/: the tools this API serves, with their paths and JSON Schemas."""
    problem = _key_problem(request)
    if problem is not None:
        return problem
    if request.method != "GET":
        return _error(405, "Use GET to list the tools, or POST to /tools/<tool>/.", Allow="GET")
    return JsonResponse(
        {
            "success": True,
            "tools": [
                {
                    "name": t.name,
                    "path": t.http_path,
                    "description": t.description,
                    "parameters": t.parameters,
                }
                for t in TOOLS_BY_SLUG.values()
            ],
        }
    )
