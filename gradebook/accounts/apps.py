from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gradebook.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Token revocation on logout and password change (signal receivers).
        from gradebook.accounts import security  # noqa: F401
