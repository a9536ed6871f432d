"""Documents attached to a transaction (a supplier's bill PDF, a signed quote): picked from the
person's Google Drive or uploaded, checked, kept until the record is in Xero, then sent to Xero
once as an attachment of that document (issue 15)."""
