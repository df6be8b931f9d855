from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "gradebook.discussion"
    label = "discussion"
    verbose_name = "Lesson discussion and problem reports"
    default_auto_field = "django.db.models.BigAutoField"
