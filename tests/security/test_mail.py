from __future__ import annotations

import logging

from tests.builders import make_account, make_user
from wisesync.security.mail import send_mail


def test_mail_goes_through_smtp_with_sender_and_subject(app, mailbox):
    send_mail("pat@example.com", "Hello", "Body text\n")
    message = mailbox.wait_for(1)[0]
    assert message["From"] == "portal@wisesync.test"
    assert message["To"] == "pat@example.com"
    assert message["Subject"] == "Hello"
    assert message.get_content().strip() == "Body text"


def test_background_delivery_reaches_the_server(app, mailbox):
    app.config["WISESYNC_MAIL_BACKGROUND"] = True
    send_mail("pat@example.com", "In the background", "Body\n")
    assert mailbox.wait_for(1)[0]["Subject"] == "In the background"


def test_unreachable_server_is_logged_without_the_body(app, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    send_mail("pat@example.com", "Reset", "secret-link-body")
    assert "Could not send the mail" in caplog.text
    assert "secret-link-body" not in caplog.text


def test_without_mail_server_the_log_is_the_delivery_channel(app, client):
    """Development: the reset link must reach the person, so the outbox log shows it unmasked."""
    app.config["MAIL_SERVER"] = ""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    outbox = logging.getLogger("wisesync.mail.outbox")
    outbox.addHandler(handler)
    try:
        user = make_user(make_account())
        client.post("/reset-password", data={"email": user.email})
    finally:
        outbox.removeHandler(handler)
    text = "\n".join(r.getMessage() for r in records)
    assert "MAIL_SERVER is not set" in text
    assert "/reset-password/" in text and "[masked]" not in text
