from django.urls import path

from monitoring.views import (
    answers,
    brands,
    builder,
    export,
    health,
    jobs,
    prompts,
    tasks,
    webhooks,
    workspaces,
)

urlpatterns = [
    path("", workspaces.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("hooks/pingback/<str:token>/", webhooks.pingback, name="webhook_pingback"),
    path("hooks/postback/<str:token>/", webhooks.postback, name="webhook_postback"),
    path("w/<int:workspace_id>/", workspaces.workspace_home, name="workspace_home"),
    path("w/<int:workspace_id>/members/", workspaces.workspace_members, name="workspace_members"),
    path(
        "w/<int:workspace_id>/settings/", workspaces.workspace_settings, name="workspace_settings"
    ),
    path(
        "w/<int:workspace_id>/settings/budget/",
        workspaces.workspace_budget,
        name="workspace_budget",
    ),
    path("w/<int:workspace_id>/jobs/failed/", jobs.failed_jobs, name="failed_jobs"),
    path(
        "w/<int:workspace_id>/jobs/failed/<str:job_id>/retry/",
        jobs.failed_job_retry_view,
        name="failed_job_retry",
    ),
    # Request builder and tasks
    path("w/<int:workspace_id>/builder/", builder.builder, name="builder"),
    path("w/<int:workspace_id>/builder/preview/", builder.builder_preview, name="builder_preview"),
    path("w/<int:workspace_id>/models/refresh/", builder.models_refresh, name="models_refresh"),
    path("w/<int:workspace_id>/tasks/", tasks.task_list, name="task_list"),
    # Tasks and costs
    path("w/<int:workspace_id>/tasks/<int:task_id>/", tasks.task_detail, name="task_detail"),
    path("w/<int:workspace_id>/tasks/<int:task_id>/status/", tasks.task_status, name="task_status"),
    path("w/<int:workspace_id>/costs/", tasks.cost_report, name="cost_report"),
    # Brands and prompts
    path("w/<int:workspace_id>/brands/", brands.brand_list, name="brand_list"),
    path("w/<int:workspace_id>/brands/new/", brands.brand_create, name="brand_create"),
    path("w/<int:workspace_id>/brands/<int:brand_id>/", brands.brand_row, name="brand_row"),
    path("w/<int:workspace_id>/brands/<int:brand_id>/edit/", brands.brand_edit, name="brand_edit"),
    path(
        "w/<int:workspace_id>/brands/<int:brand_id>/delete/",
        brands.brand_delete,
        name="brand_delete",
    ),
    path("w/<int:workspace_id>/prompts/", prompts.prompt_list, name="prompt_list"),
    path("w/<int:workspace_id>/prompts/new/", prompts.prompt_create, name="prompt_create"),
    path("w/<int:workspace_id>/prompts/import/", prompts.prompt_import, name="prompt_import"),
    path(
        "w/<int:workspace_id>/prompts/<int:prompt_id>/edit/",
        prompts.prompt_edit,
        name="prompt_edit",
    ),
    path(
        "w/<int:workspace_id>/prompts/<int:prompt_id>/toggle/",
        prompts.prompt_toggle,
        name="prompt_toggle",
    ),
    path(
        "w/<int:workspace_id>/prompts/<int:prompt_id>/delete/",
        prompts.prompt_delete,
        name="prompt_delete",
    ),
    # Dashboard and answers
    path("w/<int:workspace_id>/answers/", answers.answer_list, name="answer_list"),
    path(
        "w/<int:workspace_id>/answers/<int:answer_id>/",
        answers.answer_detail,
        name="answer_detail",
    ),
    path("w/<int:workspace_id>/export/<str:kind>.csv", export.export_csv, name="export_csv"),
]
