from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.decorators import verified_session_required
from vaults import overview, recipients, rules
from vaults.access import (
    client_address,
    role_for,
    subscriptions_for_creating,
    vault_for,
    visible_vaults,
)
from vaults.errors import MFA_NOT_SET_UP, OperationRefused
from vaults.forms import NotificationsForm, SecuritySettingsForm, VaultCreateForm
from vaults.models import Role


def vault_list(request):
    # PostgreSQL text cannot hold NUL, and no vault name has one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    vaults = visible_vaults(request.user).select_related("subscription")
    if query:
        vaults = vaults.filter(name__icontains=query)
    paginator = Paginator(
        vaults.order_by("name", "pk"), settings.STRONGROOM["VAULTS_PER_PAGE"]
    )
    page = paginator.get_page(request.GET.get("page"))

    return render(
        request,
        "vaults/vault_list.html",
        {
            "page": page,
            "query": query,
            "can_create": subscriptions_for_creating(request.user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def vault_create(request):
    subscriptions = subscriptions_for_creating(request.user)
    form = VaultCreateForm(request.POST or None, subscriptions=subscriptions)
    if request.method == "POST" and form.is_valid():
        vault = rules.create_vault(
            request.user,
            form.cleaned_data["subscription"],
            form.cleaned_data["name"],
            form.cleaned_data["region"],
        )
        messages.success(request, f"Vault {vault.name} was created.")
        return redirect(vault)

    return render(request, "vaults/vault_create.html", {"form": form})


def render_blade(request, vault, template, blade, **context):
    context.update(vault=vault, blade=blade, role=role_for(request.user, vault))
    return render(request, template, context)


def vault_overview(request, pk):
    vault = vault_for(request.user, pk)

    summary = overview.summarize(vault)
    return render_blade(
        request, vault, "vaults/overview.html", "overview", summary=summary
    )


def vault_properties(request, pk):
    vault = vault_for(request.user, pk)

    return render_blade(request, vault, "vaults/properties.html", "properties")


@verified_session_required
@require_http_methods(["GET", "POST"])
def security_settings(request, pk):
    vault = vault_for(request.user, pk)
    form = SecuritySettingsForm(request.POST or None)
    refusal = None

    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["state"] == "disable":
                rules.refuse_disabling_security_settings(
                    vault, request.user, client_address=client_address(request)
                )
                messages.info(request, "Security settings are still off.")
                return redirect("vault-properties", pk=vault.pk)
            rules.enable_security_settings(
                vault,
                request.user,
                form.cleaned_data["mfa_answer"],
                client_address=client_address(request),
            )
        except OperationRefused as refused:
            refusal = refused.entry
            vault.refresh_from_db()
        else:
            messages.success(request, "Security settings are on for this vault.")
            return redirect("security-settings", pk=vault.pk)

    response = render_blade(
        request,
        vault,
        "vaults/security_settings.html",
        "properties",
        form=form,
        refusal=refusal,
        mfa_not_set_up=refusal == MFA_NOT_SET_UP,
        is_admin=role_for(request.user, vault) == Role.ADMIN,
    )
    if refusal is not None:
        response.status_code = refusal.status
    return response


@never_cache
@verified_session_required
@require_http_methods(["GET", "POST"])
def security_pin(request, pk):
    vault = vault_for(request.user, pk)
    if request.method == "GET":
        return render_blade(request, vault, "vaults/security_pin.html", "properties")

    try:
        text, pin = rules.generate_pin(
            vault, request.user, client_address=client_address(request)
        )
    except OperationRefused as refusal:
        if request.headers.get("Accept") == "application/json":
            return JsonResponse(refusal.entry.as_dict(), status=refusal.entry.status)
        messages.error(request, f"{refusal.entry.message} {refusal.entry.action}")
        return redirect("vault-properties", pk=vault.pk)

    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "pin": text,
                "expires_at": pin.expires_at.isoformat(),
                "seconds_left": settings.STRONGROOM["PIN_VALIDITY_SECONDS"],
            }
        )
    return render_blade(
        request,
        vault,
        "vaults/security_pin.html",
        "properties",
        pin_text=text,
        pin=pin,
        seconds_left=settings.STRONGROOM["PIN_VALIDITY_SECONDS"],
    )


def audit_log(request, pk):
    vault = vault_for(request.user, pk)
    events = vault.audit_events.select_related("actor").order_by("-occurred_at", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))

    return render_blade(request, vault, "vaults/audit_log.html", "audit", page=page)


def _alerts_blade(request, vault, form, status=200):
    current = list(vault.alert_recipients.values_list("email", flat=True))
    alerts = vault.notifications.select_related("event").order_by("-created_at", "-id")
    per_page = settings.STRONGROOM["ALERTS_PER_PAGE"]
    page = Paginator(alerts, per_page).get_page(request.GET.get("page"))

    context = {
        "vault": vault,
        "blade": "alerts",
        "role": role_for(request.user, vault),
        "form": form,
        "current": [(a, recipients.display_address(a)) for a in current],
        "max_recipients": recipients.max_recipients(),
        "page": page,
    }
    return render(request, "vaults/backup_alerts.html", context, status=status)


def _notifications_form(vault, data=None):
    current = vault.alert_recipients.values_list("email", flat=True)
    initial = {
        "email_notifications": "on" if vault.email_notifications_enabled else "off"
    }
    return NotificationsForm(data, current=current, initial=initial)


def backup_alerts(request, pk):
    vault = vault_for(request.user, pk)

    return _alerts_blade(request, vault, _notifications_form(vault))


@verified_session_required
@require_POST
def configure_notifications(request, pk):
    vault = vault_for(request.user, pk)
    form = _notifications_form(vault, request.POST)
    if not form.is_valid():
        return _alerts_blade(request, vault, form, status=400)

    try:
        change = recipients.configure_notifications(
            vault,
            request.user,
            enabled=form.cleaned_data["email_notifications"],
            add=form.cleaned_data["add"],
            remove=form.cleaned_data["remove"],
            client_address=client_address(request),
        )
    except ValidationError as error:
        form.add_error("add", error)
        return _alerts_blade(request, vault, form, status=400)
    except OperationRefused as refusal:
        form.add_error(None, f"{refusal.entry.message} {refusal.entry.action}")
        return _alerts_blade(request, vault, form, status=403)

    if change.is_empty:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(
            request, "Notifications saved. Everyone on the old and new lists is told."
        )
    return redirect("backup-alerts", pk=vault.pk)
