"""Who may see and act on a vault. Everything outside a membership is a 404."""

from django.http import Http404

from vaults import audit
from vaults.errors import NOT_ALLOWED, SECOND_FACTOR_REQUIRED, OperationRefused
from vaults.models import Membership, Role, Vault

CHANGE_ROLES = (Role.ADMIN, Role.CONTRIBUTOR)


def client_address(request):
    """Return the address a request came from, for the audit trail."""
    return request.META.get("REMOTE_ADDR")


def visible_vaults(user):
    return Vault.objects.visible_to(user)


def vault_for(user, pk):
    vault = visible_vaults(user).select_related("subscription").filter(pk=pk).first()
    if vault is None:
        raise Http404("No such vault.")
    return vault


def role_for(user, vault):
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, subscription_id=vault.subscription_id)
        .values_list("role", flat=True)
        .first()
    )


def require_role(user, vault, roles=(Role.ADMIN,)):
    if role_for(user, vault) not in roles:
        raise OperationRefused(NOT_ALLOWED)


def authorise(user, vault, roles, operation, *, detail="", client_address=None):
    """Require a verified session and a role for a critical operation.

    A refusal is itself worth an alert: it may be someone with a stolen
    password or a low role trying what they must not.
    """
    try:
        require_verified(user)
        require_role(user, vault, roles)
    except OperationRefused as refusal:
        audit.record_refusal(
            vault,
            operation,
            refusal.entry,
            user=user if user.is_authenticated else None,
            detail=detail,
            client_address=client_address,
        )
        raise


def require_console_permission(user):
    """Refuse an admin-console change by anyone but staff allowed to edit vaults."""
    if not (user.is_active and user.is_staff and user.has_perm("vaults.change_vault")):
        raise OperationRefused(NOT_ALLOWED)


def can_read_outbox(user):
    """Return whether the user may read the local outbox of alert emails."""
    return user.is_authenticated and user.is_active and user.is_staff


def require_verified(user):
    is_verified = getattr(user, "is_verified", None)
    if not (is_verified and is_verified()):
        raise OperationRefused(SECOND_FACTOR_REQUIRED)


def subscriptions_for_creating(user):
    from vaults.models import Subscription

    return Subscription.objects.filter(
        memberships__user=user, memberships__role__in=CHANGE_ROLES
    )
