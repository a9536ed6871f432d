"""QLinks (login-by-token URLs for ConnectWise menu entries), the account QLink, and the
password step that guards sensitive actions in a QLink session."""
