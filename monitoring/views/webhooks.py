"""Pingback (GET) and postback (gzip POST) receivers for the API.

No login: the per-task token in the URL is the credential. Every answer is short and
reveals nothing: unknown, replayed and forged calls all get the same 200 "ok", so a
prober learns nothing; only malformed or oversized bodies are refused.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from monitoring.pipeline import webhooks


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
    length = int(request.headers.get("Content-Length") or 0)
    if length > webhooks.MAX_COMPRESSED_BYTES:
        return HttpResponse("too large", status=413, content_type="text/plain")
    try:
        envelope = webhooks.postback_read(
            request.read(webhooks.MAX_COMPRESSED_BYTES + 1),
            encoding=request.headers.get("Content-Encoding", ""),
        )
    except webhooks.PayloadError as exc:
        status = 413 if "large" in str(exc) or "cap" in str(exc) else 400
        return HttpResponseBadRequest(str(exc), status=status, content_type="text/plain")
    webhooks.postback_receive(
        token=token,
        provider_id=request.GET.get("id", ""),
        tag=request.GET.get("tag", ""),
        envelope=envelope,
    )
    return HttpResponse("ok", content_type="text/plain")
