from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from vaults.versions import meets_minimum


class Subscription(models.Model):
    name = models.CharField(max_length=100, unique=True)
    require_mfa = models.BooleanField(
        "Require multi-factor authentication",
        default=True,
        help_text="Members without a second-factor device must set one up "
        "before they can do anything else.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    CONTRIBUTOR = "contributor", "Contributor"
    READER = "reader", "Reader"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.READER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subscription"], name="one_membership_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user} in {self.subscription} ({self.get_role_display()})"


class Region(models.TextChoices):
    WEST_EUROPE = "westeurope", "West Europe"
    NORTH_EUROPE = "northeurope", "North Europe"
    EAST_US = "eastus", "East US"
    WEST_US = "westus", "West US"
    SOUTHEAST_ASIA = "southeastasia", "Southeast Asia"


class MfaAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class VaultQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(subscription__memberships__user=user)

    def update(self, **kwargs):
        from vaults.security import refuse_disabling_in_bulk

        refuse_disabling_in_bulk(self, kwargs)
        return super().update(**kwargs)


class Vault(models.Model):
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="vaults"
    )
    name = models.CharField(max_length=50)
    region = models.CharField(
        max_length=30, choices=Region.choices, default=Region.WEST_EUROPE
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_before_security_features = models.BooleanField(
        default=False,
        help_text="Vaults that existed before security settings start with "
        "them off until an administrator turns them on.",
    )
    security_settings_enabled = models.BooleanField(default=True)
    security_enabled_at = models.DateTimeField(null=True, blank=True)
    security_enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mfa_answer = models.CharField(
        max_length=3, choices=MfaAnswer.choices, blank=True, default=""
    )
    email_notifications_enabled = models.BooleanField(default=True)

    objects = VaultQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "subscription", name="vault_name_unique_in_subscription"
            ),
        ]
        indexes = [models.Index(fields=["subscription", "name"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from vaults.security import refuse_disabling

        refuse_disabling(self)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("vault-overview", args=[self.pk])


class AlertRecipient(models.Model):
    vault = models.ForeignKey(
        Vault, on_delete=models.CASCADE, related_name="alert_recipients"
    )
    email = models.EmailField(max_length=254)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["vault", "email"], name="recipient_unique_per_vault"
            )
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class SecurityPin(models.Model):
    vault = models.ForeignKey(Vault, on_delete=models.CASCADE, related_name="pins")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pin_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["vault", "-created_at"])]

    def __str__(self):
        return f"PIN for {self.vault} generated {self.created_at:%Y-%m-%d %H:%M}"


class ServerKind(models.TextChoices):
    AGENT = "agent", "Backup agent"
    BACKUP_SERVER = "backup-server", "Backup Server"
    DPM = "dpm", "Data Protection Manager"


class VaultCredential(models.Model):
    """A downloaded vault credentials file: one registration within 48 hours."""

    vault = models.ForeignKey(
        Vault, on_delete=models.CASCADE, related_name="credentials"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Vault credentials for {self.vault} created {self.created_at:%Y-%m-%d}"


class RegisteredServer(models.Model):
    vault = models.ForeignKey(Vault, on_delete=models.CASCADE, related_name="servers")
    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=20, choices=ServerKind.choices, default=ServerKind.AGENT
    )
    agent_version = models.CharField(max_length=40)
    product_version = models.CharField(max_length=60, blank=True, default="")
    registered_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    credential_hash = models.CharField(max_length=64, unique=True)
    key_envelope = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vault", "name"], name="server_name_unique_in_vault"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_supported_for_security(self):
        return meets_minimum(self.kind, self.agent_version, self.product_version)


class BackupPolicyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        from vaults.security import refuse_short_retention_in_bulk

        refuse_short_retention_in_bulk(self, kwargs)
        return super().update(**kwargs)


class BackupPolicy(models.Model):
    vault = models.ForeignKey(Vault, on_delete=models.CASCADE, related_name="policies")
    name = models.CharField(max_length=50)
    schedule_time = models.TimeField(default="22:00")
    daily_days = models.PositiveIntegerField(default=30)
    weekly_weeks = models.PositiveIntegerField(default=12)
    monthly_months = models.PositiveIntegerField(default=12)
    yearly_years = models.PositiveIntegerField(default=3)

    objects = BackupPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "backup policies"
        constraints = [
            models.UniqueConstraint(
                fields=["vault", "name"], name="policy_name_unique_in_vault"
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from vaults.security import refuse_short_retention

        refuse_short_retention(self)
        super().save(*args, **kwargs)


class WorkloadKind(models.TextChoices):
    FOLDER = "folder", "Files and folders"
    VIRTUAL_MACHINE = "vm", "Virtual machine"
    SQL = "sql", "SQL Server database"


class ItemState(models.TextChoices):
    PROTECTED = "protected", "Protected"
    STOPPED = "stopped", "Protection stopped, data kept"
    SOFT_DELETED = "soft-deleted", "Soft-deleted"
    PURGED = "purged", "Purged"


class ProtectedItem(models.Model):
    server = models.ForeignKey(
        RegisteredServer, on_delete=models.CASCADE, related_name="items"
    )
    source = models.CharField(max_length=1024)
    kind = models.CharField(
        max_length=20, choices=WorkloadKind.choices, default=WorkloadKind.FOLDER
    )
    policy = models.ForeignKey(
        BackupPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    state = models.CharField(
        max_length=20, choices=ItemState.choices, default=ItemState.PROTECTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.CharField(max_length=150, blank=True, default="")
    purge_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source"]
        indexes = [
            models.Index(fields=["state", "purge_after"]),
            models.Index(fields=["server", "state"]),
        ]

    def __str__(self):
        return f"{self.server}:{self.source}"

    @property
    def is_covered_by_security_settings(self):
        return self.kind != WorkloadKind.VIRTUAL_MACHINE


class Chunk(models.Model):
    """An encrypted, content-addressed piece of backup data, stored once a vault."""

    vault = models.ForeignKey(Vault, on_delete=models.CASCADE, related_name="chunks")
    digest = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    blob = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vault", "digest"], name="chunk_unique_in_vault"
            )
        ]

    def __str__(self):
        return self.digest


class RecoveryPoint(models.Model):
    item = models.ForeignKey(
        ProtectedItem, on_delete=models.CASCADE, related_name="points"
    )
    taken_at = models.DateTimeField(default=timezone.now)
    size = models.PositiveBigIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    manifest_blob = models.CharField(max_length=255)
    expires_at = models.DateTimeField(null=True, blank=True)
    chunks = models.ManyToManyField(Chunk, related_name="points", blank=True)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [
            models.Index(fields=["item", "-taken_at"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self):
        return f"{self.item} at {self.taken_at:%Y-%m-%d %H:%M}"


class Operation(models.TextChoices):
    VAULT_CREATED = "vault-created", "Vault created"
    SECURITY_ENABLED = "security-enabled", "Security settings enabled"
    SECURITY_DISABLE_REFUSED = "security-disable", "Disable security settings"
    PIN_GENERATED = "pin-generated", "Security PIN generated"
    PIN_VOIDED = "pin-voided", "Security PIN voided after wrong tries"
    CREDENTIALS_DOWNLOADED = "credentials-downloaded", "Vault credentials downloaded"
    SERVER_REGISTERED = "server-registered", "Server registered"
    PASSPHRASE_CHANGED = "passphrase-change", "Change passphrase"
    STOP_PROTECTION_DELETE = "stop-delete", "Stop protection with delete data"
    RETENTION_REDUCED = "retention-reduce", "Reduce retention"
    DATA_RECOVERED = "data-recovered", "Deleted data recovered"
    DATA_PURGED = "data-purged", "Deleted data purged"
    RECIPIENTS_CHANGED = "recipients-changed", "Alert recipients changed"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    REFUSED = "refused", "Refused"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    vault = models.ForeignKey(
        Vault, null=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    operation = models.CharField(max_length=30, choices=Operation.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=20, blank=True, default="")
    detail = models.CharField(max_length=500, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["vault", "-occurred_at"])]

    def __str__(self):
        return f"{self.get_operation_display()} {self.outcome} on {self.vault}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")


class NotificationState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    vault = models.ForeignKey(
        Vault, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(
        AuditEvent, null=True, on_delete=models.PROTECT, related_name="notifications"
    )
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField()
    recipients = models.JSONField(default=list)
    state = models.CharField(
        max_length=10,
        choices=NotificationState.choices,
        default=NotificationState.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    # When the next try is due: now at first, later after each failure's
    # backoff. The sweeper resends what is overdue, so a hand-off lost with
    # the broker is found while a retry waiting in the broker is left alone.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["vault", "-created_at"]),
            models.Index(fields=["state", "next_attempt_at"]),
        ]

    def __str__(self):
        return self.subject


class OutboxMessage(models.Model):
    """An email kept by the embedded mail backend instead of being sent."""

    subject = models.CharField(max_length=255)
    from_email = models.CharField(max_length=255)
    to = models.JSONField(default=list)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    message_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.subject
