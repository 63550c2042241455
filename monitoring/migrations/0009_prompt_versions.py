# Prompt versions: an answer keeps the wording it was asked when its prompt is edited.

from collections import defaultdict

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery
from django.db.models.fields.json import KT

BATCH = 1000


def prompt_versions_backfill(apps, schema_editor):
    """A version for every prompt, and every task and answer under the wording it asked.

    Before versions, editing a prompt rewrote the question of its earlier answers. Their
    tasks' bodies still hold the text that was sent, so a prompt whose tasks asked texts
    other than its current one first gets a version per earlier text (in the order they
    were first sent), then its current wording as the last version, and those tasks and
    their answers go under the text they asked. Everything else (every prompt never edited)
    goes under version 1, the prompt's current wording. An earlier version's system message
    and chain are the prompt's current ones: the bodies cannot tell the prompt's own system
    message from the builder's.
    """
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys row by row, not at commit: PostgreSQL refuses the
        # indexes this migration then builds on tables with checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Prompt = apps.get_model("monitoring", "Prompt")
    PromptVersion = apps.get_model("monitoring", "PromptVersion")
    Task = apps.get_model("monitoring", "Task")
    Answer = apps.get_model("monitoring", "Answer")

    first_asked: dict[int, dict[str, object]] = defaultdict(dict)
    for row in (
        Task.objects.annotate(asked=KT("request_body__user_prompt"))
        .values("prompt_id", "asked")
        .annotate(first=Min("created_at"))
        .order_by()
    ):
        if row["asked"]:
            first_asked[row["prompt_id"]][row["asked"]] = row["first"]

    versions = []
    for prompt in Prompt.objects.order_by("pk").iterator(chunk_size=BATCH):
        asked = first_asked.get(prompt.pk, {})
        earlier = sorted((when, text) for text, when in asked.items() if text != prompt.text)
        texts = [text for _, text in earlier] + [prompt.text]
        starts = [prompt.created_at] + [when for when, _ in earlier[1:]]
        if earlier:  # the current wording took effect when first sent, else at the last save
            starts.append(max(asked.get(prompt.text) or prompt.updated_at, starts[-1]))
        for number, (text, start) in enumerate(zip(texts, starts, strict=True), start=1):
            versions.append(
                PromptVersion(
                    prompt_id=prompt.pk,
                    number=number,
                    text=text,
                    system_message=prompt.system_message,
                    message_chain=prompt.message_chain,
                    created_at=start,
                    replaced_at=starts[number] if number < len(texts) else None,
                )
            )
        if len(versions) >= BATCH:
            PromptVersion.objects.bulk_create(versions)
            versions = []
    PromptVersion.objects.bulk_create(versions)

    current = PromptVersion.objects.filter(prompt=OuterRef("prompt_id"), replaced_at__isnull=True)
    Task.objects.update(prompt_version=Subquery(current.values("pk")[:1]))
    for version in PromptVersion.objects.filter(replaced_at__isnull=False).iterator():
        Task.objects.filter(
            prompt_id=version.prompt_id, request_body__user_prompt=version.text
        ).update(prompt_version=version.pk)
    asked_by_task = Task.objects.filter(pk=OuterRef("task_id")).values("prompt_version")[:1]
    Answer.objects.update(prompt_version=Subquery(asked_by_task))


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0008_ledger_and_prices"),
    ]

    operations = [
        migrations.CreateModel(
            name="PromptVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                ("text", models.CharField(max_length=500)),
                ("system_message", models.CharField(blank=True, max_length=500)),
                ("message_chain", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("replaced_at", models.DateTimeField(blank=True, null=True)),
                (
                    "prompt",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="monitoring.prompt",
                    ),
                ),
            ],
            options={
                "ordering": ["prompt_id", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("prompt", "number"), name="unique_prompt_version"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="answer",
            name="prompt_version",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="answers",
                to="monitoring.promptversion",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="prompt_version",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tasks",
                to="monitoring.promptversion",
            ),
        ),
        migrations.RunPython(prompt_versions_backfill, migrations.RunPython.noop),
        # The dashboard groups by version: the covering index carries it (built after the
        # backfill, so the updates above do not maintain it row by row).
        migrations.RemoveIndex(model_name="answer", name="answer_ws_at_cover"),
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                fields=[
                    "workspace",
                    "answered_at",
                    "prompt",
                    "prompt_version",
                    "is_informative",
                    "model_name",
                    "web_search",
                    "monitor",
                ],
                name="answer_ws_at_cover",
            ),
        ),
    ]
