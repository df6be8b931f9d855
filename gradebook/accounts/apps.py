from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gradebook.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Token revocation on logout (a receiver in security) and on password change.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from gradebook.accounts import security

        pre_save.connect(
            security.revoke_on_password_change,
            sender=get_user_model(),
            dispatch_uid="accounts.revoke_tokens_on_password_change",
        )
