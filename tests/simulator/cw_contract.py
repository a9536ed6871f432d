"""The ConnectWise OpenAPI contract check shared by the REST contract tests: the fixture loaded
for openapi-core, and ``validate(openapi, response)`` for a ``requests.Response`` (its request
and, under 400, its body; error bodies against ConnectWise's ``{"code","message","errors"}``).

Two adjustments to the fixture, neither touching a schema: response media types are keyed by
their bare type, ``application/vnd.connectwise.com+json`` (the fixture keys them with a
``version=`` parameter that differs between operations, quirk C1), read as JSON, and also as
``application/json``; and request URLs are mapped from the simulator's address onto the
fixture's server before matching.
"""
from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests

from wisesync.simulator import demo

FIXTURES = Path(__file__).parents[2].parent / "shared" / "fixtures"
SPEC_FILE = FIXTURES / "connectwise" / "manage-openapi-subset.json"
SKIP_WITHOUT_SPEC = pytest.mark.skipif(
    not SPEC_FILE.exists(),
    reason=f"!!! ConnectWise OpenAPI fixture not found at {SPEC_FILE}: REST CONTRACT NOT CHECKED !!!")

SPEC_SERVER = "https://na.myconnectwise.net/v4_6_release/apis/3.0"
VENDOR_TYPE = "application/vnd.connectwise.com+json"
AUTH = {"Authorization": "Basic " + base64.b64encode(
    f"{demo.CW_COMPANY_ID}+{demo.CW_PUBLIC_KEY}:{demo.CW_PRIVATE_KEY}".encode()).decode(),
    "clientId": "contract-tests"}


@functools.lru_cache(maxsize=1)
def load_openapi():
    """(openapi-core ``OpenAPI``, the fixture's ``components/schemas``), loaded once."""
    from openapi_core import Config, OpenAPI

    raw = json.loads(SPEC_FILE.read_text())
    for path_item in raw["paths"].values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                if "content" in response:
                    media = next(iter(response["content"].values()))
                    response["content"] = {VENDOR_TYPE: media, "application/json": media}
    from openapi_core.deserializing.media_types.util import json_loads

    config = Config(extra_media_type_deserializers={VENDOR_TYPE: json_loads})
    return OpenAPI.from_dict(raw, config=config), raw["components"]["schemas"]


def on_spec_server(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    copy = prepared.copy()
    parts = urlsplit(prepared.url)
    tail = parts.path.split("/apis/3.0", 1)[1]
    copy.url = SPEC_SERVER + tail + (f"?{parts.query}" if parts.query else "")
    return copy


def validate(openapi, response: requests.Response) -> None:
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    spec, schemas = openapi
    request = RequestsOpenAPIRequest(on_spec_server(response.request))
    spec.validate_request(request)
    if response.status_code < 400:
        spec.validate_response(request, RequestsOpenAPIResponse(response))
    else:
        jsonschema.validate(response.json(), {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "errors": {"type": "array", "items": schemas["ValidationError"]}}})
