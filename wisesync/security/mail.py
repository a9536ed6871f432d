"""Outgoing mail through ``smtplib``, configured by ``MAIL_*`` (DESIGN §8).

Without ``MAIL_SERVER`` the log is the delivery channel (development, first run): the whole
mail, reset link or 2FA code included, is written to the ``wisesync.mail`` logger. That logger
does not propagate to the root handlers, whose token mask would blank the link and make the
mail useless; it has a stderr handler of its own. Set ``MAIL_SERVER`` in production so no
credential-bearing mail ever reaches a log.

Delivery runs in a background thread by default so a reset request answers in the same time
whether or not the address is known (``WISESYNC_MAIL_BACKGROUND``; tests switch it off).
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import sys
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

log = logging.getLogger(__name__)
_HANDLER = logging.StreamHandler(sys.stderr)
_HANDLER.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def _outbox() -> logging.Logger:
    """The log-delivery logger, (re)wired on each use: ``logging.config.fileConfig`` (Alembic's
    env.py runs it) resets existing loggers' handlers and propagation."""
    logger = logging.getLogger("wisesync.mail.outbox")
    logger.propagate, logger.disabled = False, False
    logger.setLevel(logging.INFO)
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)
    return logger


def build_message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def mail_configured() -> bool:
    """Whether mail leaves this portal (``MAIL_SERVER`` is set); otherwise it only reaches the log."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text mail. Never raises: a failed delivery is logged (without the body)."""
    config = current_app.config
    message = build_message(to, subject, body, config["MAIL_DEFAULT_SENDER"])
    if not config.get("MAIL_SERVER"):
        _outbox().warning("MAIL_SERVER is not set, so this mail is delivered to the log:\n"
                          "To: %s\nSubject: %s\n\n%s", to, subject, body)
        return
    settings = {key: config[key] for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME",
                                               "MAIL_PASSWORD", "MAIL_USE_TLS")}
    if config.get("WISESYNC_MAIL_BACKGROUND", True):
        threading.Thread(target=deliver, args=(settings, message), daemon=True,
                         name="wisesync-mail").start()
    else:
        deliver(settings, message)


def deliver(settings: dict, message: EmailMessage) -> bool:
    """Hand ``message`` to the SMTP server; port 465 means implicit TLS, MAIL_USE_TLS STARTTLS."""
    host, port = settings["MAIL_SERVER"], int(settings["MAIL_PORT"])
    try:
        if port == 465:
            smtp = smtplib.SMTP_SSL(host, port, timeout=15, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=15)
        with smtp:
            if settings["MAIL_USE_TLS"] and port != 465:
                smtp.starttls(context=ssl.create_default_context())
            if settings["MAIL_USERNAME"]:
                smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.error("Could not send the mail %r to %s through %s:%s: %s", message["Subject"],
                  message["To"], host, port, exc.__class__.__name__)
        return False
