# One RegradeOutcome per distinct grading result instead of the result copied onto every
# RegradeChange. Existing previews are dropped (they are only previews: nothing was applied
# from them; the teacher runs a new one).

import django.db.models.deletion
from django.db import migrations, models


def drop_previews(apps, schema_editor):
    apps.get_model("grades", "RegradeChange").objects.all().delete()
    apps.get_model("grades", "RegradeRun").objects.filter(
        status__in=["queued", "running", "previewed"]
    ).update(status="discarded")


class Migration(migrations.Migration):

    dependencies = [
        ("grades", "0002_regraderun_progress_synced_at"),
    ]

    operations = [
        migrations.RunPython(drop_previews, migrations.RunPython.noop),
        migrations.CreateModel(
            name="RegradeOutcome",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("outcome", models.CharField(max_length=20)),
                ("auto_score", models.FloatField(blank=True, null=True)),
                ("correct", models.BooleanField(default=False)),
                ("result", models.JSONField(blank=True, default=dict)),
                ("interpreted_as", models.CharField(blank=True, max_length=500)),
                ("misconception", models.CharField(blank=True, max_length=100)),
                ("feedback", models.TextField(blank=True)),
                ("run", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="outcomes", to="grades.regraderun")),
            ],
        ),
        migrations.RemoveField(model_name="regradechange", name="new_auto_score"),
        migrations.RemoveField(model_name="regradechange", name="result"),
        migrations.RemoveField(model_name="regradechange", name="interpreted_as"),
        migrations.RemoveField(model_name="regradechange", name="misconception"),
        migrations.RemoveField(model_name="regradechange", name="feedback"),
        migrations.AddField(
            model_name="regradechange",
            name="outcome",
            field=models.ForeignKey(
                default=0,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="grades.regradeoutcome",
            ),
            preserve_default=False,
        ),
    ]
