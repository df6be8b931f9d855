from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The gradebook shows an exercise attempt's prompt and outputs without importing this
        # app: it asks its registries, which this app fills.
        from exercises import plugins

        plugins.register()
