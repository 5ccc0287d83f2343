from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def embedded_services_in_production(app_configs, **kwargs):
    found = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        found.append(
            Warning(
                "The embedded SQLite database is for one machine and demos.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="strongroom.W001",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("sqla+"):
        found.append(
            Warning(
                "The Celery broker is kept in SQLite, which is for development.",
                hint="Set CELERY_BROKER_URL to Redis or RabbitMQ.",
                id="strongroom.W002",
            )
        )
    if settings.EMAIL_BACKEND == "vaults.outbox.OutboxBackend":
        found.append(
            Warning(
                "Alert emails go to the local outbox, not to people.",
                hint="Set EMAIL_HOST (and EMAIL_PORT, credentials) for SMTP.",
                id="strongroom.W003",
            )
        )
    return found
