"""Finding 5: request bodies are bounded; a large one gets a readable 413 at once, never a 500.

The outside test sent an anonymous 300 MB upload to /login; it was spooled to disk before the
CSRF check. Now nothing of such a body is read at all.
"""
from __future__ import annotations

import io

import pytest

from tests.builders import make_account, make_admin

HUGE = 300 * 1024 * 1024


class CountingStream(io.RawIOBase):
    """A body that claims to be huge and counts what the server reads of it."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=xyz",
                                          "application/x-www-form-urlencoded"])
def test_a_300_mb_anonymous_upload_to_login_is_refused_unread(app, csrf_on, content_type):
    make_admin(make_account())
    body = CountingStream(HUGE)
    response = app.test_client().post("/login", environ_overrides={
        "wsgi.input": body, "CONTENT_LENGTH": str(HUGE), "CONTENT_TYPE": content_type})
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert "larger than Wise-Sync accepts" in response.get_data(as_text=True)


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(app):
    make_admin(make_account())
    body = CountingStream(HUGE)
    response = app.test_client().post("/login", environ_overrides={
        "wsgi.input": body, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked",
        "CONTENT_TYPE": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert body.read_bytes <= app.config["MAX_CONTENT_LENGTH"] + 64 * 1024


def test_one_oversized_form_field_is_a_413(app):
    make_admin(make_account())
    response = app.test_client().post("/login", data={"username": "a" * (300 * 1024), "password": "x"},
                                      content_type="multipart/form-data")
    assert response.status_code == 413


def test_too_many_form_parts_is_a_413(app):
    make_admin(make_account())
    data = {f"f{i}": "x" for i in range(app.config["MAX_FORM_PARTS"] + 5)}
    response = app.test_client().post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_a_413_answers_json_to_json_clients(app):
    response = app.test_client().post("/login", data="x" * (2 * 1024 * 1024),
                                      content_type="application/x-www-form-urlencoded",
                                      headers={"Accept": "application/json"})
    assert response.status_code == 413 and response.get_json()["error"] == "Request too large"


def test_a_route_marked_for_uploads_takes_more_and_only_that_route(app):
    from wisesync.web import PortalRequest, allow_large_body

    view = allow_large_body(5 * 1024 * 1024)(lambda: "ok")
    app.view_functions["auth.login"], original = view, app.view_functions["auth.login"]
    try:
        with app.test_request_context("/login", method="POST"):
            from flask import request

            assert isinstance(request, PortalRequest)
            assert request.max_content_length == 5 * 1024 * 1024
        with app.test_request_context("/reset-password", method="POST"):
            from flask import request

            assert request.max_content_length == app.config["MAX_CONTENT_LENGTH"]
    finally:
        app.view_functions["auth.login"] = original


def test_ordinary_forms_fit_well_inside_the_limit(app):
    make_admin(make_account())
    response = app.test_client().post("/login", data={"username": "x" * 5000, "password": "y" * 5000})
    assert response.status_code == 400  # a wrong login, not a 413
