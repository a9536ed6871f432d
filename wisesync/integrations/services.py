"""Integration Settings: Test and Save for ConnectWise and Autotask.

"Test and Save" builds a client from the submitted values (an empty secret means the stored
one), runs the PSA client's connectivity test, keeps the result, and saves the values only
when every check passed — or when the admin ticked "save anyway", which is remembered and
shown as a warning. A good save queues a pull. Secret values never reach the audit trail,
logs or return values: only which fields changed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from wisesync.audit.services import record
from wisesync.crypto import encrypt
from wisesync.extensions import db
from wisesync.integrations import clients
from wisesync.integrations.models import IntegrationSettings
from wisesync.modelbase import utcnow
from wisesync.psa.errors import PsaConfigError, PsaError
from wisesync.psa.report import ConnectionReport
from wisesync.service_errors import FieldError

CW_LABELS = {"cw_company_id": "company ID", "cw_site": "site", "cw_public_key": "public key",
             "cw_client_id": "client ID"}
AT_LABELS = {"at_username": "API username", "at_integration_code": "integration code",
             "at_zone_url": "zone URL override"}


@dataclass
class TestOutcome:
    report: ConnectionReport
    saved: bool = False
    changed: list[str] = field(default_factory=list)
    run: object = None  # the SyncRun queued after a good save


def get_settings(account_id: int) -> IntegrationSettings | None:
    return clients.settings_for(account_id)


def _settings_row(account_id: int) -> IntegrationSettings:
    settings = clients.settings_for(account_id)
    if settings is None:
        settings = IntegrationSettings(account_id=account_id)
        db.session.add(settings)
    return settings


def _secret(submitted: str, stored_token: str | None, field_name: str, what: str) -> str:
    if submitted:
        return submitted
    if not stored_token:
        raise FieldError(field_name, f"Enter the {what}; none is saved yet.")
    try:
        return clients.reveal(stored_token, what)
    except PsaConfigError as exc:
        raise FieldError(field_name, f"{exc.explanation} {exc.fix}") from None


def _keep_result(settings: IntegrationSettings, report: ConnectionReport, public: dict, secrets: dict) -> None:
    """Keep the result with a seal of the values it tested (see wisesync.tested_values), so the
    page can tell a test of the saved settings from one of values that were not saved."""
    from wisesync.tested_values import seal

    settings.last_test_json = json.dumps({**report.as_dict(), "tested_with": seal(public, secrets)})
    settings.last_test_at = utcnow()


def _apply(settings, values: dict, labels: dict) -> list[str]:
    changed = [labels[key] for key, value in values.items() if getattr(settings, key) != value]
    for key, value in values.items():
        setattr(settings, key, value)
    return changed


def _finish(account, settings, report: ConnectionReport, *, save: bool, changed: list[str],
            psa: str, actor, ip: str) -> TestOutcome:
    """Audit, commit once, and queue the pull after a good save."""
    from wisesync.psadata.runs import start_pull

    failed = ", ".join(check.name for check in report.failed)
    record("integration.tested", account_id=account.id, actor=actor, ip=ip,
           detail=f"{psa}: {report.status_word}" + (f" (failed: {failed})" if failed else ""))
    if save:
        settings.saved_untested = not report.connected
        if changed:
            record("integration.settings_changed", account_id=account.id, actor=actor, ip=ip,
                   detail=f"{psa} settings changed: {', '.join(changed)}"
                          + ("" if report.connected else " (saved although the test failed)"))
    db.session.commit()
    outcome = TestOutcome(report=report, saved=save, changed=changed)
    if save and report.connected:
        outcome.run, _ = start_pull(account, actor=actor, ip=ip)
    return outcome


def test_and_save_connectwise(account, *, company_id: str, site: str, public_key: str,
                              private_key: str, client_id: str, save_anyway: bool = False,
                              actor=None, ip: str = "") -> TestOutcome:
    """Test the submitted ConnectWise values; save them if they pass (or ``save_anyway``).

    Raises :class:`FieldError` when no private key is given and none is stored (or the stored
    one cannot be decrypted), or when a value is unusable before anything is sent.
    """
    settings = _settings_row(account.id)
    if not private_key and settings.cw_private_key_enc and \
            clients.cw_destination(site) != clients.cw_destination(settings.cw_site):
        # A stored key goes only to the site it was saved for, never to a newly typed host.
        raise FieldError("cw_private_key", "The site changed, so enter the private key again: Wise-Sync "
                         "sends a stored key only to the site it was saved for "
                         f"({clients.cw_destination(settings.cw_site) or 'none'}).")
    key = _secret(private_key, settings.cw_private_key_enc, "cw_private_key", "ConnectWise private key")
    try:
        client = clients.cw_rest_client(site, company_id, public_key, key, client_id)
    except PsaConfigError as exc:
        raise FieldError("cw_site", f"{exc.explanation} {exc.fix}") from None
    report = client.test_connection()
    _keep_result(settings, report, {"cw_company_id": company_id, "cw_site": site, "cw_public_key": public_key,
                                    "cw_client_id": client_id}, {"cw_private_key": key})
    save = report.connected or save_anyway
    changed: list[str] = []
    if save:
        changed = _apply(settings, {"cw_company_id": company_id, "cw_site": site,
                                    "cw_public_key": public_key, "cw_client_id": client_id}, CW_LABELS)
        if private_key and not _same_secret(settings.cw_private_key_enc, private_key):
            settings.cw_private_key_enc = encrypt(private_key)
            settings.cw_private_key_set_at = utcnow()
            changed.append("private key")
    return _finish(account, settings, report, save=save, changed=changed, psa="ConnectWise",
                   actor=actor, ip=ip)


def test_and_save_autotask(account, *, username: str, secret: str, integration_code: str,
                           zone_url: str = "", save_anyway: bool = False, actor=None,
                           ip: str = "") -> TestOutcome:
    """Test the submitted Autotask values (zone looked up from the username unless
    ``zone_url`` overrides it); save them if they pass (or ``save_anyway``).

    Raises :class:`FieldError` when no secret is given and none is stored.
    """
    settings = _settings_row(account.id)
    if not secret and settings.at_secret_enc and (
            clients.origin(zone_url) != clients.origin(settings.at_zone_url)
            or username.strip().lower() != (settings.at_username or "").strip().lower()):
        # The zone (or the user it is looked up for) changed: the stored secret stays home.
        raise FieldError("at_secret", "The zone URL or API username changed, so enter the secret again: "
                         "Wise-Sync sends a stored secret only to the zone it was saved for.")
    plain = _secret(secret, settings.at_secret_enc, "at_secret", "Autotask secret")
    try:
        client = clients.autotask_client(username, plain, integration_code, zone_url=zone_url)
    except PsaConfigError as exc:
        raise FieldError("at_username", f"{exc.explanation} {exc.fix}") from None
    report = client.test_connection()
    _keep_result(settings, report, {"at_username": username, "at_integration_code": integration_code,
                                    "at_zone_url": zone_url}, {"at_secret": plain})
    save = report.connected or save_anyway
    changed: list[str] = []
    if save:
        changed = _apply(settings, {"at_username": username, "at_integration_code": integration_code,
                                    "at_zone_url": zone_url}, AT_LABELS)
        zone = {} if zone_url else _detected_zone(client, report)
        if zone:
            settings.at_zone_detected, settings.at_zone_name = zone.get("url", ""), zone.get("zoneName", "")
        if secret and not _same_secret(settings.at_secret_enc, secret):
            settings.at_secret_enc = encrypt(secret)
            settings.at_secret_set_at = utcnow()
            changed.append("secret")
    return _finish(account, settings, report, save=save, changed=changed, psa="Autotask",
                   actor=actor, ip=ip)


def _same_secret(token: str | None, value: str) -> bool:
    if not token:
        return False
    try:
        return clients.reveal(token, "secret") == value
    except PsaConfigError:
        return False


def _detected_zone(client, report: ConnectionReport) -> dict:
    """The zone the lookup found, when the test got that far (no second lookup otherwise)."""
    if not report.checks or not report.checks[0].ok:
        return {}
    try:
        return client.discover_zone()
    except PsaError:
        return {}


def is_configured(account) -> bool:
    settings = clients.settings_for(account.id)
    if settings is None:
        return False
    return settings.cw_configured if account.psa_type == "connectwise" else settings.at_configured


def start_manual_pull(account, *, actor=None, ip: str = "", full: bool = False):
    """"Pull now" (``full``: "Full pull"): ``(run, started)``; raises :class:`FieldError` when
    nothing is saved yet."""
    from wisesync.psadata.runs import start_pull

    if not is_configured(account):
        raise FieldError("form", "Save working integration settings first (Test and Save), then pull.")
    return start_pull(account, actor=actor, ip=ip, full=full)
