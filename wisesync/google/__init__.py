"""A person's own Google account (issue 15): connect/disconnect on the user page, and their Drive
as a source of documents to attach to synced transactions. ``client`` is plain Python (no Flask)."""
