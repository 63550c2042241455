# The dashboard's cache key (WorkspaceVersion); task summaries per status, for the task
# list's counts; indexes for the budgets' spend since a moment, and for the summaries of
# one prompt (or a tag's) and of one brand.

from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models


def versions_create(apps, schema_editor):
    """A version for every workspace, so their dashboards may be cached from the start."""
    Workspace = apps.get_model("monitoring", "Workspace")
    WorkspaceVersion = apps.get_model("monitoring", "WorkspaceVersion")
    WorkspaceVersion.objects.bulk_create(
        WorkspaceVersion(workspace_id=pk) for pk in Workspace.objects.values_list("pk", flat=True)
    )


def task_days_mark(apps, schema_editor):
    """The task summaries built before they had a status are dropped and their days marked
    stale, to be rebuilt by the pipeline's tick (until then the pages read those days'
    tasks)."""
    apps.get_model("monitoring", "TaskSummary").objects.all().delete()
    SummaryStale = apps.get_model("monitoring", "SummaryStale")
    rows = apps.get_model("monitoring", "Task").objects.values_list("workspace_id", "created_at")
    days = {(w, at.astimezone(UTC).date()) for w, at in rows.iterator()}
    SummaryStale.objects.bulk_create(
        [SummaryStale(workspace_id=w, day=d) for w, d in sorted(days)], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0014_summaries"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkspaceVersion",
            fields=[
                (
                    "workspace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="monitoring.workspace",
                    ),
                ),
                ("number", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="tasksummary",
            name="status",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["workspace", "claimed_at"], name="task_ws_claimed"),
        ),
        migrations.AddIndex(
            model_name="answersummary",
            index=models.Index(
                fields=["workspace", "prompt", "span", "day"], name="answer_summary_block_prompt"
            ),
        ),
        migrations.AddIndex(
            model_name="brandsummary",
            index=models.Index(
                fields=["workspace", "prompt", "span", "day"], name="brand_summary_block_prompt"
            ),
        ),
        migrations.AddIndex(
            model_name="pairsummary",
            index=models.Index(
                fields=["workspace", "prompt", "span", "day"], name="pair_summary_block_prompt"
            ),
        ),
        migrations.AddIndex(
            model_name="domainsummary",
            index=models.Index(
                fields=["workspace", "prompt", "span", "day"], name="domain_summary_block_prompt"
            ),
        ),
        migrations.AddIndex(
            model_name="termsummary",
            index=models.Index(
                fields=["workspace", "prompt", "span", "day"], name="term_summary_block_prompt"
            ),
        ),
        migrations.AddIndex(
            model_name="tasksummary",
            index=models.Index(
                fields=["workspace", "prompt", "span", "day"], name="task_summary_block_prompt"
            ),
        ),
        migrations.AddIndex(
            model_name="brandsummary",
            index=models.Index(
                fields=["workspace", "brand", "span", "day"], name="brand_summary_brand"
            ),
        ),
        # Rows last: PostgreSQL refuses to alter a table with row changes pending checks.
        migrations.RunPython(versions_create, migrations.RunPython.noop),
        migrations.RunPython(task_days_mark, migrations.RunPython.noop),
    ]
