"""Account security: password reset and 2FA by mail, throttling, the audit page, account settings."""
