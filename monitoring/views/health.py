"""GET /healthz: is the database answering, has a worker been seen, can the API be used,
how many background jobs failed lately (a count only: no error text, no arguments)?

Anyone (an uptime checker, a load balancer) gets the status and its HTTP code; only staff
see the parts, since the reason the pipeline halted quotes the API's own message."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from monitoring import selectors


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True}
        cluster = selectors.cluster_status_get()
        api = selectors.api_status_get()
        jobs = selectors.jobs_status_get()
    except DatabaseError as exc:
        database = {"ok": False, "error": exc.__class__.__name__}
        cluster = {"seen": None}
        api = {"configured": None, "posting_halted": None, "collection": None}
        jobs = {"failed_24h": None}
    # A rate-limited collection ("api.collection") is flow control, not a failure: reported,
    # but the status stays ok (answers arrive later; nothing is lost). Failed jobs are
    # counted, not judged: one retried or superseded later leaves nothing to fix.
    healthy = database["ok"] and cluster["seen"] and api["configured"] and not api["posting_halted"]
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "cluster": cluster,
        "api": api,
        "jobs": jobs,
    }
    if not database["ok"]:
        body["status"] = "down"
    if not request.user.is_staff:
        body = {"status": body["status"]}
    return JsonResponse(body, status=200 if database["ok"] else 503)
