from django.core.management.base import BaseCommand

from bench.waitlist import measure


class Command(BaseCommand):
    help = (
        "Time a cancellation and the waitlist's first round with N patients waiting at the "
        "location (everything it makes is rolled back)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=5000)

    def handle(self, *args, patients, **options):
        figures = measure(patients=patients)
        self.stdout.write(
            "{patients} waiting: cancel {cancel_ms} ms ({cancel_queries} queries), first round "
            "{first_round_ms} ms ({first_round_queries} queries, {offers_sent} offers)".format(
                **figures
            )
        )
