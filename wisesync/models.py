"""Imports every model module so SQLAlchemy and Alembic see the whole schema."""
from wisesync.accounts.models import Account  # noqa: F401
from wisesync.audit.models import AuditEvent  # noqa: F401
from wisesync.companies.models import Company  # noqa: F401
from wisesync.users.models import PaymentLink, User, user_companies  # noqa: F401
