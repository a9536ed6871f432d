"""Integration Settings: the account's one PSA connection (admins), tested before it is saved."""
