"""Imports every model module so SQLAlchemy and Alembic see the whole schema."""
from importlib import import_module
from importlib.util import find_spec

from wisesync.accounts.models import Account  # noqa: F401
from wisesync.audit.models import AuditEvent  # noqa: F401
from wisesync.companies.models import Company  # noqa: F401
from wisesync.users.models import PaymentLink, User, user_companies  # noqa: F401

# Feature packages that bring their own tables when present.
for _name in ("wisesync.credentials.models", "wisesync.integrations.models", "wisesync.psadata.models", "wisesync.jobs.models",
              "wisesync.qlink.models", "wisesync.security.models"):
    if find_spec(_name.rsplit(".", 1)[0]) is not None and find_spec(_name) is not None:
        import_module(_name)
