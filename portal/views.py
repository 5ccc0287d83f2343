from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse

from vaults.access import visible_vaults


def home(request):
    recent = visible_vaults(request.user).select_related("subscription")
    recent = recent.order_by("-created_at")[:5]

    return render(request, "portal/home.html", {"recent": recent})


def search(request):
    query = urlencode({"q": request.GET.get("q", "")[:100]})
    return redirect(f"{reverse('vault-list')}?{query}")
