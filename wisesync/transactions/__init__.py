"""Syncing transactions (DESIGN §10), top-down as the data flows:
review (read the PSA, route by location, each row's state) → mapping (pure) → ledger → run."""
