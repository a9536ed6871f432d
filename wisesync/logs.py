"""Logging setup. QLink tokens are bearer credentials, so they are masked in every log line."""
from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/(?:q|a|reset-password)/)[^\s/?\"']+")


def mask_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[masked]", text)


class MaskTokensFilter(logging.Filter):
    """Rewrites a record's message so ``/q/<token>`` reads ``/q/[masked]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = MaskTokensFilter()


def install_mask(logger_names=("werkzeug", "gunicorn.access", "gunicorn.error", "")) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def configure(app) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_mask()
