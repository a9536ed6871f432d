"""Background pulls: the Huey queue (built from config, no I/O at import), the pull task, the
run records people watch, and the ``flask jobs-worker`` command."""
