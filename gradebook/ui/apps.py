from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "gradebook.ui"
    label = "ui"
    verbose_name = "User interface"
