"""Plain-Python PSA clients (ConnectWise REST and SOAP, Autotask REST).

Nothing here imports Flask or the rest of ``wisesync``: clients take explicit settings and an
injectable ``requests.Session``, and raise :class:`wisesync.psa.errors.PsaError` subclasses.
"""
