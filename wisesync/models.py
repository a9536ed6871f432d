"""Imports every model module so SQLAlchemy and Alembic see the whole schema."""
from wisesync.accounts.models import Account  # noqa: F401
from wisesync.audit.models import AuditEvent  # noqa: F401
from wisesync.companies.models import Company  # noqa: F401
from wisesync.companies import xero_models as _xero  # noqa: F401
from wisesync.credentials import models as _credentials  # noqa: F401
from wisesync.documents import models as _documents  # noqa: F401
from wisesync.google import models as _google  # noqa: F401
from wisesync.integrations import models as _integrations  # noqa: F401
from wisesync.psadata import models as _psadata  # noqa: F401
from wisesync.psadata import runs as _pull_runs  # noqa: F401
from wisesync.qlink import models as _qlink  # noqa: F401
from wisesync.security import models as _security  # noqa: F401
from wisesync.transactions import models as _transactions  # noqa: F401
from wisesync.users.models import PaymentLink, User, user_companies  # noqa: F401
