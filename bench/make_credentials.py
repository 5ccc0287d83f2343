"""Print a vault credentials file for the demo vault, as Download would."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from vaults import server_rules  # noqa: E402
from vaults.models import Vault  # noqa: E402

vault = Vault.objects.get(name="contoso-vault")
user = get_user_model().objects.get(username="admin")
# A benchmark stands in for the administrator who downloads the file after
# signing in with a second factor.
user.is_verified = lambda: True
print(json.dumps(server_rules.issue_vault_credentials(vault, user, sys.argv[1])))
