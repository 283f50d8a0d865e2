from django.core.management.base import BaseCommand, CommandError

from clinic.health import service_checks


class Command(BaseCommand):
    help = "Exit 0 when PostgreSQL and Redis answer (for container health checks), else name them."

    def handle(self, *args, **options):
        failing = [name for name, ok in service_checks().items() if not ok]
        if failing:
            raise CommandError("unreachable: " + ", ".join(failing))
        self.stdout.write("ok")
