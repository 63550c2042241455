from monitoring.models import Membership


def workspace(request):
    """The switcher's list and the current workspace, for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )
    current = getattr(request, "membership", None)
    if current is None:
        wanted = request.session.get("workspace_id")
        current = next((m for m in memberships if m.workspace_id == wanted), None)
        current = current or (memberships[0] if memberships else None)
    return {"memberships": memberships, "current_membership": current}
