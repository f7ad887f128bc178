from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from madoguchi.core.maintenance import daily_maintenance


class Command(BaseCommand):
    help = (
        "Daily housekeeping (run from cron or a systemd timer): audit-log retention per municipality and "
        "platform-wide, expiry of idempotency keys, and removal of finished task results (they can hold "
        "rendered e-mails with one-time links)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        daily_maintenance.enqueue()
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            call_command(
                "prune_db_task_results",
                min_age_days=settings.TASK_RESULT_RETENTION_DAYS,
                failed_min_age_days=settings.TASK_RESULT_RETENTION_DAYS,
                stdout=self.stdout,
            )
        self.stdout.write("Daily maintenance queued.")
