# Monitors in the app: a tag scope re-evaluated at each run, a start for resumed or
# rescheduled monitors, and runs that keep their settings and tasks (linked to the run) and
# survive their monitor's deletion. Runs made before this record no settings (left empty:
# the tasks' bodies still hold what each sent).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0009_prompt_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='monitorrun',
            options={'ordering': ['-slot', '-id']},
        ),
        migrations.AddField(
            model_name='monitor',
            name='starts_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='monitor',
            name='tag',
            field=models.ForeignKey(blank=True, help_text="Runs ask this tag's active prompts as they are at each run.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='monitors', to='monitoring.tag'),
        ),
        migrations.AddField(
            model_name='monitorrun',
            name='prompt_count',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='monitorrun',
            name='request_settings',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='monitorrun',
            name='requested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='monitorrun',
            name='samples_per_run',
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name='monitorrun',
            name='tag_name',
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name='monitorrun',
            name='trigger',
            field=models.CharField(choices=[('schedule', 'Scheduled'), ('manual', 'Run now')], default='schedule', max_length=10),
        ),
        migrations.AddField(
            model_name='task',
            name='monitor_run',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tasks', to='monitoring.monitorrun'),
        ),
        migrations.AlterField(
            model_name='monitorrun',
            name='monitor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='runs', to='monitoring.monitor'),
        ),
    ]
