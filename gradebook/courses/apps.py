from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "gradebook.courses"
    label = "courses"
    default_auto_field = "django.db.models.BigAutoField"
