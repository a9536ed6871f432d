"""Per-user PSA credentials: ConnectWise Member, ConnectWise API Member and Autotask user.

Each is its own small form on the user edit page (see :mod:`wisesync.credentials.routes`),
with a connectivity test whose last result is kept. Secrets are encrypted with
:mod:`wisesync.crypto`; ``flask rotate-secrets`` (:mod:`wisesync.credentials.cli`) re-encrypts
every stored secret with the newest key.
"""
