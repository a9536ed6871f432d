"""What a file is, from its first bytes (never from its name), and the rules a document must
meet before it is kept: PDFs and images Xero takes, up to Xero's 10 MB per attachment."""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024  # Xero's limit per attachment (Codat's Xero limits, 2026)
MAX_LABEL = "10 MB"

# (magic prefix, MIME type, extension). Xero's attachment types include these images; WebP,
# HEIC and SVG are not among them.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"II*\x00", "image/tiff", "tif"),
    (b"MM\x00*", "image/tiff", "tif"),
)
ALLOWED_LABEL = "a PDF or an image (PNG, JPEG, GIF or TIFF)"
_KNOWN = {b"MZ": "a Windows program (.exe)", b"PK\x03\x04": "a ZIP archive or Office document",
          b"\x7fELF": "a Linux program", b"<": "a web page or XML file", b"{\\rtf": "an RTF document"}


class DocumentRefused(Exception):
    """The file cannot be attached: ``message`` says why and what to do (shown beside the field)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Checked:
    file_name: str
    mime_type: str
    size: int


def sniff(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) for the content's signature, or None."""
    for magic, mime, extension in _SIGNATURES:
        if head.startswith(magic):
            return mime, extension
    return None


def check(name: str, content: bytes) -> Checked:
    """Check ``content`` (named ``name`` by the person or Drive) can go to Xero, and give it a
    safe file name whose extension matches what it really is. Raises :class:`DocumentRefused`."""
    if not content:
        raise DocumentRefused("The file is empty. Choose the document again.")
    if len(content) > MAX_BYTES:
        raise DocumentRefused(f"The file is {megabytes(len(content))}; Xero takes attachments up to {MAX_LABEL}. "
                              "Attach a smaller file (scan at a lower resolution, or split the PDF).")
    found = sniff(content[:16])
    if found is None:
        what = next((label for magic, label in _KNOWN.items() if content.startswith(magic)), None)
        said = f" it is {what}" if what else " its content is not one Wise-Sync recognises"
        raise DocumentRefused(f"This file cannot be attached:{said}, whatever its name says. Attach "
                              f"{ALLOWED_LABEL}.")
    mime, extension = found
    return Checked(safe_name(name, extension), mime, len(content))


def too_large(size: int | None) -> bool:
    return size is not None and size > MAX_BYTES


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def safe_name(name: str, extension: str) -> str:
    """The base of ``name`` without path, control or reserved characters, ≤ 100 characters, and
    the extension of what the file really is (``invoice.exe`` holding a PDF → ``invoice.pdf``)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    stem = os.path.splitext(base)[0]
    stem = unicodedata.normalize("NFC", stem)
    stem = re.sub(r"[\x00-\x1f\x7f<>:\"/\\|?*\[\]#%]+", " ", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" .") or "document"
    return f"{stem[:100]}.{extension}"
