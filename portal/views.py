from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from vaults.access import can_read_outbox, visible_vaults
from vaults.models import OutboxMessage


def home(request):
    recent = visible_vaults(request.user).select_related("subscription")
    recent = recent.order_by("-created_at")[:5]

    return render(request, "portal/home.html", {"recent": recent})


def search(request):
    query = urlencode({"q": request.GET.get("q", "")[:100]})
    return redirect(f"{reverse('vault-list')}?{query}")


def _outbox_reader(request):
    if not can_read_outbox(request.user):
        raise Http404("No such page.")


def outbox(request):
    _outbox_reader(request)
    messages = OutboxMessage.objects.order_by("-created_at", "-id")
    per_page = settings.STRONGROOM["OUTBOX_PER_PAGE"]
    page = Paginator(messages, per_page).get_page(request.GET.get("page"))

    return render(request, "portal/outbox.html", {"page": page, "nav": "outbox"})


def outbox_message(request, pk):
    _outbox_reader(request)
    message = get_object_or_404(OutboxMessage, pk=pk)

    return render(
        request, "portal/outbox_message.html", {"message": message, "nav": "outbox"}
    )
