"""Entry point for ``flask --app wsgi`` and ``gunicorn wsgi:app``."""
from wisesync.app import create_app

app = create_app()
