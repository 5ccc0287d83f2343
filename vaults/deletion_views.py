"""Blades for stopping protection, deleted items and undelete."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from portal.decorators import verified_session_required
from vaults import soft_delete
from vaults.access import client_address, vault_for
from vaults.errors import OperationRefused
from vaults.forms import StopProtectionForm
from vaults.models import ItemState, ProtectedItem
from vaults.views import render_blade


def _item_of(vault, item_pk):
    return get_object_or_404(
        ProtectedItem.objects.select_related("server"), pk=item_pk, server__vault=vault
    )


def deleted_items(request, pk):
    vault = vault_for(request.user, pk)
    items = (
        ProtectedItem.objects.filter(server__vault=vault, state=ItemState.SOFT_DELETED)
        .select_related("server")
        .order_by("purge_after", "pk")
    )
    page = Paginator(items, 50).get_page(request.GET.get("page"))

    return render_blade(
        request,
        vault,
        "vaults/deleted_items.html",
        "deleted",
        page=page,
        now=timezone.now(),
    )


@verified_session_required
@require_POST
def undelete(request, pk, item_pk):
    vault = vault_for(request.user, pk)
    item = _item_of(vault, item_pk)

    try:
        soft_delete.undelete(item, request.user, client_address(request))
    except OperationRefused as refusal:
        messages.error(request, f"{refusal.entry.message} {refusal.entry.action}")
    else:
        messages.success(
            request,
            f"{item.source} is back, with protection stopped and every recovery point "
            "kept. Protect it again from its server to resume backups.",
        )
    return redirect("deleted-items", pk=vault.pk)


@verified_session_required
@require_http_methods(["GET", "POST"])
def stop_protection(request, pk, item_pk):
    vault = vault_for(request.user, pk)
    item = _item_of(vault, item_pk)
    data = request.POST if request.method == "POST" else None
    form = StopProtectionForm(data, item=item)

    if request.method == "POST" and form.is_valid():
        delete_data = form.cleaned_data["delete_data"]
        try:
            item = soft_delete.stop_protection_from_portal(
                item,
                request.user,
                delete_data=delete_data,
                client_address=client_address(request),
            )
        except OperationRefused as refusal:
            form.add_error(None, f"{refusal.entry.message} {refusal.entry.action}")
        else:
            if item.state == ItemState.SOFT_DELETED:
                messages.success(
                    request,
                    f"Backup data of {item.source} is deleted and kept until "
                    f"{item.purge_after:%Y-%m-%d %H:%M} UTC under Deleted items.",
                )
                return redirect("deleted-items", pk=vault.pk)
            if item.state == ItemState.PURGED:
                messages.warning(
                    request,
                    f"Backup data of {item.source} is deleted for good. With security "
                    "settings on it would have been kept 14 days.",
                )
            else:
                messages.success(request, f"Protection of {item.source} is stopped.")
            return redirect("vault-overview", pk=vault.pk)

    return render_blade(
        request, vault, "vaults/stop_protection.html", "items", form=form, item=item
    )
