from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "gradebook.quizzes"
    label = "quizzes"
    default_auto_field = "django.db.models.BigAutoField"
