from django.urls import path

from monitoring.views import health, workspaces

urlpatterns = [
    path("", workspaces.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("w/<int:workspace_id>/", workspaces.workspace_home, name="workspace_home"),
    path("w/<int:workspace_id>/members/", workspaces.workspace_members, name="workspace_members"),
    path(
        "w/<int:workspace_id>/settings/", workspaces.workspace_settings, name="workspace_settings"
    ),
]
