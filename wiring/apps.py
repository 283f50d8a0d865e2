from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "wiring"
    verbose_name = "Wiring"

    def ready(self) -> None:
        # The handlers import the apps' services, which need the app registry ready.
        from .subscribers import subscribe_all

        subscribe_all()
