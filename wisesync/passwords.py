"""Portal password hashing: scrypt with a per-password salt (Werkzeug's default)."""
from werkzeug.security import check_password_hash, generate_password_hash

# Checked when no such user exists, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-ever")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and password_hash is not None
