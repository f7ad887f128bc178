from typing import Any

from django.core.management.base import BaseCommand, CommandError

from madoguchi.demo.data import load_demo_data


class Command(BaseCommand):
    help = "Load the five demo municipalities, departments, staff and residents (idempotent; not in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is refused in production (MADOGUCHI_ENV=production).")
        try:
            created = load_demo_data()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo data ready ({created['municipalities']} municipalities created this run).")
