from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "gradebook.lti"
    label = "lti"
    verbose_name = _("LTI 1.3")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Grade changes reach the LMS through this receiver (gradebook.quizzes.signals).
        from gradebook.lti import receivers  # noqa: F401
