from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "gradebook.grades"
    label = "grades"
    default_auto_field = "django.db.models.BigAutoField"
