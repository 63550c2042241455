"""Pingback (GET) and postback (gzip POST) receivers for the API.

No login: the per-task token in the URL is the credential, checked before the body is read.
Every answer is short and reveals nothing: unknown, replayed and forged calls all get the
same 200 "ok", so a prober learns nothing (not even whether a tag exists); only the
malformed or oversized body of a call with a valid token is refused (400, 413).
"""

import re

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from monitoring.pipeline import webhooks

#: A Content-Length as RFC 9110 writes it: ASCII digits only (``int()`` also takes "١٢").
CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")


@login_not_required
@require_GET
def pingback(request, token: str):
    webhooks.pingback_receive(
        token=token, provider_id=request.GET.get("id", ""), tag=request.GET.get("tag", "")
    )
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@csrf_exempt
@require_POST
def postback(request, token: str):
    try:
        webhooks.postback_handle(
            token=token,
            provider_id=request.GET.get("id", ""),
            tag=request.GET.get("tag", ""),
            read=request.read,
            length=_content_length(request),
            encoding=request.headers.get("Content-Encoding", ""),
        )
    except webhooks.PayloadError as exc:
        return HttpResponse(
            f"Postback refused: {exc}.", status=exc.status, content_type="text/plain"
        )
    return HttpResponse("ok", content_type="text/plain")


def _content_length(request) -> int | None:
    """The declared body size: 0 if not given, None if it is not a number."""
    value = request.headers.get("Content-Length", "").strip() or "0"
    return int(value) if CONTENT_LENGTH.fullmatch(value) else None
