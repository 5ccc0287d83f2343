"""Backup blades: credentials download, infrastructure, items and policies."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.decorators import verified_session_required
from vaults import server_rules
from vaults.access import client_address, vault_for
from vaults.errors import OperationRefused
from vaults.forms import BackupPolicyForm
from vaults.models import ItemState, ProtectedItem, RecoveryPoint
from vaults.versions import minimum_description
from vaults.views import render_blade

PER_PAGE = 50


@never_cache
@verified_session_required
@require_POST
def backup_credentials(request, pk):
    vault = vault_for(request.user, pk)
    try:
        document = server_rules.issue_vault_credentials(
            vault,
            request.user,
            request.build_absolute_uri("/").rstrip("/"),
            client_address=client_address(request),
        )
    except OperationRefused as refusal:
        messages.error(request, f"{refusal.entry.message} {refusal.entry.action}")
        return redirect("vault-properties", pk=vault.pk)

    response = HttpResponse(
        json.dumps(document, indent=2), content_type="application/json"
    )
    filename = f"{vault.name}.strongroom-credentials.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def filter_text(request):
    # NUL cannot be stored or compared by PostgreSQL; nobody types it.
    return request.GET.get("q", "").replace("\x00", "").strip()[:100]


def backup_infrastructure(request, pk):
    vault = vault_for(request.user, pk)
    query = filter_text(request)
    servers = vault.servers.annotate(item_count=Count("items")).order_by("name", "pk")
    if query:
        servers = servers.filter(name__icontains=query)
    page = Paginator(servers, PER_PAGE).get_page(request.GET.get("page"))
    for server in page:
        server.minimum = minimum_description(server.kind)

    return render_blade(
        request,
        vault,
        "vaults/backup_infrastructure.html",
        "infrastructure",
        page=page,
        query=query,
    )


def backup_items(request, pk):
    vault = vault_for(request.user, pk)
    latest = RecoveryPoint.objects.filter(item=OuterRef("pk")).order_by(
        "-taken_at", "-pk"
    )
    items = (
        ProtectedItem.objects.filter(server__vault=vault)
        .select_related("server", "policy")
        .annotate(
            latest_taken_at=Subquery(latest.values("taken_at")[:1]),
            latest_size=Subquery(latest.values("size")[:1]),
            point_count=Count("points"),
        )
        .order_by("server__name", "source", "pk")
    )
    query = filter_text(request)
    if query:
        items = items.filter(
            Q(source__icontains=query) | Q(server__name__icontains=query)
        )
    state = request.GET.get("state", "")
    if state in ItemState.values:
        items = items.filter(state=state)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))

    return render_blade(
        request,
        vault,
        "vaults/backup_items.html",
        "items",
        page=page,
        query=query,
        state=state,
        states=ItemState.choices,
    )


def backup_item(request, pk, item_pk):
    vault = vault_for(request.user, pk)
    item = get_object_or_404(
        ProtectedItem.objects.select_related("server", "policy"),
        pk=item_pk,
        server__vault=vault,
    )
    points = item.points.order_by("-taken_at", "-pk")
    page = Paginator(points, PER_PAGE).get_page(request.GET.get("page"))

    return render_blade(
        request, vault, "vaults/backup_item.html", "items", item=item, page=page
    )


def backup_policies(request, pk):
    vault = vault_for(request.user, pk)
    policies = vault.policies.annotate(item_count=Count("items")).order_by("name")
    page = Paginator(policies, PER_PAGE).get_page(request.GET.get("page"))

    return render_blade(
        request,
        vault,
        "vaults/backup_policies.html",
        "policies",
        page=page,
        minimums=server_rules.RETENTION_MINIMUMS,
    )


@verified_session_required
@require_http_methods(["GET", "POST"])
def backup_policy_edit(request, pk, policy_pk=None):
    vault = vault_for(request.user, pk)
    policy = None
    if policy_pk is not None:
        policy = get_object_or_404(vault.policies, pk=policy_pk)
    form = BackupPolicyForm(request.POST or None, vault=vault, policy=policy)

    if request.method == "POST" and form.is_valid():
        try:
            policy = _save_policy(request, vault, policy, form.cleaned_data)
        except server_rules.RetentionRefused as refusal:
            for field, message in refusal.shortfalls.items():
                form.add_error(field, message)
        except OperationRefused as refusal:
            form.add_error(None, f"{refusal.entry.message} {refusal.entry.action}")
        else:
            messages.success(request, f"Backup policy {policy.name} was saved.")
            return redirect("backup-policies", pk=vault.pk)

    return render_blade(
        request,
        vault,
        "vaults/backup_policy_form.html",
        "policies",
        form=form,
        policy=policy,
        minimums=server_rules.RETENTION_MINIMUMS,
        security_on=vault.security_settings_enabled,
    )


def _save_policy(request, vault, policy, data):
    values = {field: data[field] for field in server_rules.RETENTION_FIELDS}
    if policy is None:
        return server_rules.create_policy(
            vault,
            request.user,
            data["name"],
            values,
            data["schedule_time"],
            client_address=client_address(request),
        )
    return server_rules.change_retention(
        policy,
        values,
        user=request.user,
        schedule_time=data["schedule_time"],
        client_address=client_address(request),
    )
