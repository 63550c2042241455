"""The rule of a monitor's schedule, shared by the request builder, the monitor form and the
admin (its own module, so the builder and the monitor form built on it can both import it)."""

from __future__ import annotations

from croniter import croniter

from monitoring.models import Schedule

CRON_HELP = "Enter a valid cron expression, e.g. '0 9 * * 1' for Mondays at 09:00."


def schedule_error(schedule: str, cron: str) -> str | None:
    """Why a monitor with this schedule could never run, or None when it can.

    A cron schedule needs an expression croniter reads (the scheduler uses croniter too).
    """
    if schedule == Schedule.CRON and not (cron and croniter.is_valid(cron)):
        return CRON_HELP
    return None
