from django import template

from vaults.recipients import display_address

register = template.Library()


@register.filter
def unicode_address(address):
    """Show a stored address with its domain in Unicode."""
    return display_address(address)
