"""Plain-Python accounting-package clients (Xero first) and their typed errors.

The twin of ``wisesync.psa``: no Flask, no ``wisesync.extensions``; settings come in as plain
values and HTTP goes through an injectable ``requests.Session``.
"""
