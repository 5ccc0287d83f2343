from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def time_left(moment, now=None):
    """Say how long until moment in days and hours, the way the blade counts."""
    if moment is None:
        return ""
    seconds = int((moment - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return "due for purge"
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h"
    return "less than an hour"


@register.simple_tag(takes_context=True)
def page_link(context, number):
    """Link to another page of a list, keeping its filters."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()
