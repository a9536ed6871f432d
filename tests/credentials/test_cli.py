"""``flask rotate-secrets``: every stored secret moves to the newest key, so the old key can go."""
from __future__ import annotations

from cryptography.fernet import Fernet

from wisesync.credentials import services
from wisesync.crypto import SecretUnreadable, decrypt, encrypt
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings


def test_rotate_secrets_re_encrypts_user_and_integration_secrets_with_the_new_key(app, cw_account, member, admin):
    old_keys = list(app.config["WISESYNC_SECRETS_KEYS"])
    services.save_member(member, member_id="jsmith", password="Member-Pass-1", actor=admin)
    services.save_api_member(admin, public_key="simpublic", private_key="simprivate", is_primary=True, actor=admin)
    settings = db.session.query(IntegrationSettings).filter_by(account_id=cw_account.id).one()
    settings.cw_private_key_enc = encrypt("account-private-key")
    settings.at_secret_enc = encrypt("account-at-secret")
    db.session.commit()

    new_key = Fernet.generate_key().decode()
    app.config["WISESYNC_SECRETS_KEYS"] = [new_key, *old_keys]
    result = app.test_cli_runner().invoke(args=["rotate-secrets"])
    assert result.exit_code == 0, result.output
    assert "psa_credentials.secret_enc: 2 re-encrypted" in result.output
    assert "integration_settings.cw_private_key_enc: 1 re-encrypted" in result.output
    assert "integration_settings.at_secret_enc: 1 re-encrypted" in result.output
    for secret in ("Member-Pass-1", "simprivate", "account-private-key", "account-at-secret"):
        assert secret not in result.output

    app.config["WISESYNC_SECRETS_KEYS"] = [new_key]  # the old key is removed
    db.session.expire_all()
    assert decrypt(services.get_credential(member, "connectwise").secret_enc) == "Member-Pass-1"
    assert decrypt(services.get_credential(admin, "connectwise-api").secret_enc) == "simprivate"
    settings = db.session.query(IntegrationSettings).filter_by(account_id=cw_account.id).one()
    assert decrypt(settings.cw_private_key_enc) == "account-private-key"
    assert decrypt(settings.at_secret_enc) == "account-at-secret"
    try:
        decrypt(services.get_credential(member, "connectwise").secret_enc, old_keys)
    except SecretUnreadable:
        pass
    else:
        raise AssertionError("the old key still opens the rotated secret")


def test_rotate_secrets_changes_nothing_when_a_secret_is_unreadable(app, member, admin):
    services.save_member(member, member_id="jsmith", password="Member-Pass-1", actor=admin)
    lost_key = Fernet.generate_key().decode()
    services.save_autotask(member, username="tech@wisesim.example", password="x" * 10, actor=admin)
    at = services.get_credential(member, "autotask")
    at.secret_enc = encrypt("Tech-Pass-1", [lost_key])  # saved with a key nobody has any more
    db.session.commit()
    before = services.get_credential(member, "connectwise").secret_enc

    app.config["WISESYNC_SECRETS_KEYS"] = [Fernet.generate_key().decode(), *app.config["WISESYNC_SECRETS_KEYS"]]
    result = app.test_cli_runner().invoke(args=["rotate-secrets"])
    assert result.exit_code == 1
    assert "Nothing was changed" in result.output and "psa_credentials.secret_enc" in result.output
    db.session.expire_all()
    assert services.get_credential(member, "connectwise").secret_enc == before


def test_rotate_secrets_with_nothing_stored_succeeds(app):
    result = app.test_cli_runner().invoke(args=["rotate-secrets"])
    assert result.exit_code == 0 and "0 secret(s)" in result.output
