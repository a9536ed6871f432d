"""Gunicorn's logger with QLink and reset tokens masked in the access log (DESIGN §5)."""
from gunicorn.glogging import Logger

from wisesync.logs import mask_tokens


class MaskingLogger(Logger):
    def access(self, resp, req, environ, request_time):
        # The access line is built from RAW_URI, PATH_INFO and the Referer (a page reached from
        # a token URL may name it); hand it masked copies.
        environ = dict(environ)
        for key in ("PATH_INFO", "RAW_URI", "REQUEST_URI", "HTTP_REFERER"):
            if key in environ:
                environ[key] = mask_tokens(environ[key])
        super().access(resp, req, environ, request_time)
