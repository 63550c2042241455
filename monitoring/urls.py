from django.urls import path, register_converter

from monitoring.converters import IdConverter
from monitoring.views import (
    answers,
    brands,
    builder,
    export,
    health,
    invitations,
    jobs,
    monitors,
    onboarding,
    prompts,
    tasks,
    webhooks,
    workspaces,
)

register_converter(IdConverter, "id")

urlpatterns = [
    path("", workspaces.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("hooks/pingback/<str:token>/", webhooks.pingback, name="webhook_pingback"),
    path("hooks/postback/<str:token>/", webhooks.postback, name="webhook_postback"),
    path("w/<id:workspace_id>/", workspaces.workspace_home, name="workspace_home"),
    path("w/<id:workspace_id>/members/", workspaces.workspace_members, name="workspace_members"),
    # Setting up a new workspace, step by step
    path("w/<id:workspace_id>/start/", onboarding.onboarding_start, name="onboarding_start"),
    path(
        "w/<id:workspace_id>/start/<slug:step>/",
        onboarding.onboarding_step,
        name="onboarding_step",
    ),
    path(
        "w/<id:workspace_id>/start/<slug:step>/skip/",
        onboarding.onboarding_skip,
        name="onboarding_skip",
    ),
    # Workspaces and teams: making a workspace, roles, leaving, invitations
    path("workspaces/new/", workspaces.workspace_create, name="workspace_create"),
    path(
        "w/<id:workspace_id>/members/<id:membership_id>/role/",
        workspaces.member_role,
        name="member_role",
    ),
    path(
        "w/<id:workspace_id>/members/<id:membership_id>/remove/",
        workspaces.member_remove,
        name="member_remove",
    ),
    path("w/<id:workspace_id>/leave/", workspaces.workspace_leave, name="workspace_leave"),
    path(
        "w/<id:workspace_id>/invitations/new/",
        invitations.invitation_create,
        name="invitation_create",
    ),
    path(
        "w/<id:workspace_id>/invitations/<id:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("w/<id:workspace_id>/settings/", workspaces.workspace_settings, name="workspace_settings"),
    path(
        "w/<id:workspace_id>/settings/budget/",
        workspaces.workspace_budget,
        name="workspace_budget",
    ),
    path("w/<id:workspace_id>/jobs/failed/", jobs.failed_jobs, name="failed_jobs"),
    path(
        "w/<id:workspace_id>/jobs/failed/<str:job_id>/retry/",
        jobs.failed_job_retry_view,
        name="failed_job_retry",
    ),
    # Request builder and tasks
    path("w/<id:workspace_id>/builder/", builder.builder, name="builder"),
    path("w/<id:workspace_id>/builder/preview/", builder.builder_preview, name="builder_preview"),
    path("w/<id:workspace_id>/models/refresh/", builder.models_refresh, name="models_refresh"),
    path("w/<id:workspace_id>/tasks/", tasks.task_list, name="task_list"),
    # Monitors
    path("w/<id:workspace_id>/monitors/", monitors.monitor_list, name="monitor_list"),
    path("w/<id:workspace_id>/monitors/new/", monitors.monitor_create, name="monitor_create"),
    path(
        "w/<id:workspace_id>/monitors/<id:monitor_id>/",
        monitors.monitor_detail,
        name="monitor_detail",
    ),
    path(
        "w/<id:workspace_id>/monitors/<id:monitor_id>/edit/",
        monitors.monitor_edit,
        name="monitor_edit",
    ),
    path(
        "w/<id:workspace_id>/monitors/<id:monitor_id>/toggle/",
        monitors.monitor_toggle,
        name="monitor_toggle",
    ),
    path(
        "w/<id:workspace_id>/monitors/<id:monitor_id>/run/",
        monitors.monitor_run_now,
        name="monitor_run_now",
    ),
    path(
        "w/<id:workspace_id>/monitors/<id:monitor_id>/delete/",
        monitors.monitor_delete,
        name="monitor_delete",
    ),
    # Tasks and costs
    path("w/<id:workspace_id>/tasks/<id:task_id>/", tasks.task_detail, name="task_detail"),
    path("w/<id:workspace_id>/tasks/<id:task_id>/status/", tasks.task_status, name="task_status"),
    path("w/<id:workspace_id>/costs/", tasks.cost_report, name="cost_report"),
    # Brands and prompts
    path("w/<id:workspace_id>/brands/", brands.brand_list, name="brand_list"),
    path("w/<id:workspace_id>/brands/new/", brands.brand_create, name="brand_create"),
    path("w/<id:workspace_id>/brands/<id:brand_id>/", brands.brand_row, name="brand_row"),
    path("w/<id:workspace_id>/brands/<id:brand_id>/edit/", brands.brand_edit, name="brand_edit"),
    path(
        "w/<id:workspace_id>/brands/<id:brand_id>/delete/",
        brands.brand_delete,
        name="brand_delete",
    ),
    path("w/<id:workspace_id>/prompts/", prompts.prompt_list, name="prompt_list"),
    path("w/<id:workspace_id>/prompts/new/", prompts.prompt_create, name="prompt_create"),
    path("w/<id:workspace_id>/prompts/import/", prompts.prompt_import, name="prompt_import"),
    path(
        "w/<id:workspace_id>/prompts/<id:prompt_id>/edit/",
        prompts.prompt_edit,
        name="prompt_edit",
    ),
    path(
        "w/<id:workspace_id>/prompts/<id:prompt_id>/toggle/",
        prompts.prompt_toggle,
        name="prompt_toggle",
    ),
    path(
        "w/<id:workspace_id>/prompts/<id:prompt_id>/delete/",
        prompts.prompt_delete,
        name="prompt_delete",
    ),
    # Dashboard and answers
    path("w/<id:workspace_id>/answers/", answers.answer_list, name="answer_list"),
    path(
        "w/<id:workspace_id>/answers/<id:answer_id>/",
        answers.answer_detail,
        name="answer_detail",
    ),
    path("w/<id:workspace_id>/export/<str:kind>.csv", export.export_csv, name="export_csv"),
]
