"""A real SMTP server on loopback (aiosmtpd) that the portal sends its mail through."""
from __future__ import annotations

import re
import socket
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy

import pytest


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def clear(self):
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")

    def last_body(self) -> str:
        return self.wait_for(1)[-1].get_content()

    def reset_link(self) -> str:
        return re.search(r"http://localhost(/reset-password/\S+)", self.last_body()).group(1)

    def code(self) -> str:
        return re.search(r"\b(\d{6})\b", self.last_body()).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.handler.clear()
    return smtp_server.handler


@pytest.fixture
def mail_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port,
            "WISESYNC_MAIL_BACKGROUND": False, "MAIL_DEFAULT_SENDER": "portal@wisesync.test"}


@pytest.fixture
def app_config(mail_config):
    """Security tests send real mail through the loopback SMTP server."""
    return dict(mail_config)


@pytest.fixture(autouse=True)
def _loggers_enabled(app):
    """Alembic's ``fileConfig`` (migrations/env.py, run by the schema fixture) disables every
    logger that existed before it; these tests read the logs, so switch them back on."""
    import logging

    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            logger.disabled = False
