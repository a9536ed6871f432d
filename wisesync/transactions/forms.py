"""The sync form (checkboxes named ``records`` or ``all=1``) and the history filters.

Shape only: whether a named record is really unposted for the company is the service's rule
(:func:`wisesync.transactions.services.check_selection`).
"""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.validators import ValidationError

from wisesync.transactions.models import KINDS

RECORD = re.compile(r"^(?P<kind>[a-z]+):(?P<psa_id>[A-Za-z0-9._-]{1,64})$")
MAX_RECORDS = 5000


class RecordsField(Field):
    """Every submitted ``records`` value, stripped, duplicates dropped, order kept."""

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        seen = []
        for value in valuelist:
            value = (value or "").strip()
            if value and value not in seen:
                seen.append(value)
        self.data = seen

    def process_data(self, value):
        self.data = list(value or [])


def parse_record(value: str) -> tuple[str, str] | None:
    """``"invoice:17"`` → ``("invoice", "17")``; ``None`` when it is not ``<kind>:<psa-id>``."""
    match = RECORD.match(value)
    if match is None or match["kind"] not in KINDS:
        return None
    return match["kind"], match["psa_id"]


class SyncForm(FlaskForm):
    records = RecordsField("Records")
    all = HiddenField("All")

    def validate_records(self, field):
        if len(field.data) > MAX_RECORDS:
            raise ValidationError(f"At most {MAX_RECORDS:,} records can be sent at once; use Sync all instead.")
        bad = [value for value in field.data if parse_record(value) is None]
        if bad:
            shown = ", ".join(repr(value[:80]) for value in bad[:10])
            raise ValidationError(f"Not a record ({shown}): each must be <kind>:<psa-id> with kind "
                                  f"{', '.join(KINDS)}.")

    def validate_all(self, field):
        if field.data not in (None, "", "0", "1"):
            raise ValidationError("all must be 1 (sync every unposted record) or left out.")

    @property
    def sync_all(self) -> bool:
        return self.all.data == "1"

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [parse_record(value) for value in self.records.data]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.sync_all and not self.records.data:
            self.form_errors.append("Tick the records to sync, or use Sync all.")
            return False
        return ok
