"""Whether the stored Test and Save result is of the saved Integration Settings.

A test runs on the values in the form, which are saved only when it passes (or with "save
anyway"). So the stored result may be of values that were never saved — another API
username, another secret — and must not be shown as the saved settings' result. The seal kept
beside it (:mod:`wisesync.tested_values`) says which.
"""
from __future__ import annotations

import json

from wisesync import tested_values
from wisesync.integrations import clients
from wisesync.psa.errors import PsaConfigError

# name → (label, the column that holds the saved value; secrets are decrypted to compare)
FIELDS = {
    "connectwise": {"cw_company_id": "company ID", "cw_site": "site", "cw_public_key": "public key",
                    "cw_client_id": "client ID", "cw_private_key": "private key"},
    "autotask": {"at_username": "API username", "at_integration_code": "integration code",
                 "at_zone_url": "zone URL override", "at_secret": "secret"},
}
SECRETS = {"cw_private_key": "cw_private_key_enc", "at_secret": "at_secret_enc"}


def _saved_secret(settings, name: str) -> str | None:
    token = getattr(settings, SECRETS[name])
    if not token:
        return None
    try:
        return clients.reveal(token, "secret")
    except PsaConfigError:  # unreadable: matches no tested value
        return "\0unreadable\0" + token


def last_test(settings, psa_type: str) -> dict | None:
    """``{"report", "tested_at", "other_values": [...], "reason": str}`` or ``None`` (never tested).

    ``other_values`` lists what the test used that differs from the saved settings (empty:
    the result is the saved settings' own); ``reason`` says it in a sentence.
    """
    report = settings.last_test if settings is not None else None
    if report is None:
        return None
    sealed = json.loads(settings.last_test_json).get("tested_with")
    labels = FIELDS[psa_type]
    public = {name: getattr(settings, name) or "" for name in labels if name not in SECRETS}
    secrets = {name: _saved_secret(settings, name) for name in labels if name in SECRETS}
    changes = tested_values.changed(sealed, public, secrets, labels)
    if changes is None:
        reason = "It was stored before Wise-Sync kept track of the values a test used; test again."
    elif changes:
        shown = []
        for name, label in labels.items():
            if label in changes:
                value = tested_values.tested_public(sealed, name) if name not in SECRETS else ""
                shown.append(f"{label} ({value})" if value else label)
        reason = ("It used a different " + ", ".join(shown)
                  + " than the saved settings, and those values were not saved.")
    else:
        reason = ""
    return {"report": report, "tested_at": settings.last_test_at,
            "other_values": changes if changes is not None else ["unknown"], "reason": reason}
