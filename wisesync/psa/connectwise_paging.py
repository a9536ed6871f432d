"""Reading ConnectWise lists: Link-header paging and keyset paging (``id > last``), each page
asked for again when its connection drops. Mixed into
:class:`~wisesync.psa.connectwise_rest.ConnectWiseRestClient` (which provides ``request``,
``_get_url``, ``api_base``, ``base_url`` and ``http``). Plain Python, no Flask.
"""
from __future__ import annotations

import json
from typing import Iterator
from urllib.parse import urljoin, urlsplit

import requests

from wisesync.psa.errors import PsaBadResponse, PsaTlsError, PsaUnavailable
from wisesync.psa.http import json_body

PAGE_SIZE = 1000
PAGE_RETRIES = 2  # a list page whose connection dropped is asked for again this many times
SERVICE = "ConnectWise"
_LINK_FIX = ("Check that the ConnectWise site in the settings is the API host itself (like "
             "api-na.myconnectwise.net). If a proxy sits in front of ConnectWise, make it keep "
             "https and the same host in the Link header it passes on.")


class ListPaging:
    def iterate(self, path: str, conditions: str | None = None, *, order_by: str | None = None,
                page_size: int = PAGE_SIZE, parse_float=None, fields: str | None = None) -> Iterator[dict]:
        """Yield every record of a list endpoint, one page at a time (lazy: nothing is sent
        until the first record is asked for, and the next page only when this one is used up),
        following ``Link: rel="next"`` — only to the origin the first page came from.

        ``parse_float=Decimal`` reads every JSON number with a fraction as a ``Decimal``.
        Page-number links skip a record when the PSA deletes one meanwhile: for a complete
        read use :meth:`iterate_by_id`.
        """
        params = {"pageSize": page_size, "page": 1}
        if conditions:
            params["conditions"] = conditions
        if order_by:
            params["orderBy"] = order_by
        if fields:
            params["fields"] = fields
        response = self._page(path, params=params)
        origin = _origin(response.url)
        while True:
            records = self._records(response, path, parse_float)
            next_url = response.links.get("next", {}).get("url")
            del response
            yield from records
            if not next_url or not records:
                return
            if _origin(urljoin(self.api_base, next_url)) != origin:
                there = urlsplit(urljoin(self.api_base, next_url))
                raise PsaBadResponse(
                    f"ConnectWise's next-page link for {path} points at {there.scheme}://{there.netloc}, "
                    f"not at {origin[0]}://{urlsplit(self.base_url).netloc} where the first page came "
                    "from; Wise-Sync did not follow it (the API keys would go with it).", _LINK_FIX)
            response = self._page(path, url=urljoin(self.api_base, next_url))

    def iterate_by_id(self, path: str, conditions: str | None = None, *, page_size: int | None = None,
                      parse_float=None, fields: str | None = None) -> Iterator[dict]:
        """Every record of a list endpoint in id order, a page at a time, each page asked for
        as ``id > <last id seen>`` with ``orderBy=id asc`` (keyset paging): a record the PSA
        deletes or adds meanwhile cannot shift another one off a page, so every record that
        exists from start to end is read exactly once. No ``Link`` is followed.
        """
        last, page_size = 0, page_size or PAGE_SIZE
        while True:
            params = {"conditions": f"id>{last}" + (f" and ({conditions})" if conditions else ""),
                      "orderBy": "id asc", "pageSize": page_size, "page": 1}
            if fields:
                params["fields"] = fields
            records = self._records(self._page(path, params=params), path, parse_float)
            yield from records
            if len(records) < page_size:
                return
            ids = [r["id"] for r in records if isinstance(r, dict) and type(r.get("id")) is int]
            if not ids or max(ids) <= last:
                raise PsaBadResponse(f"ConnectWise answered {path} pages without moving on to higher ids.",
                                     "Try again; if it persists, report it to Wise-Sync support.")
            last = max(ids)

    def _page(self, path: str, *, params: dict | None = None, url: str | None = None) -> requests.Response:
        """One GET of a list page, sent again (twice at most) when the connection drops or
        times out: reading a page changes nothing, so a lost one is simply asked for again."""
        policy = self.http.policy
        for attempt in range(PAGE_RETRIES + 1):
            try:
                return self._get_url(url, path) if url else self.request("GET", path, params=params)
            except PsaUnavailable as exc:
                if exc.status is not None or isinstance(exc, PsaTlsError) or attempt == PAGE_RETRIES:
                    raise
                policy.sleep(policy.backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    @staticmethod
    def _records(response: requests.Response, path: str, parse_float) -> list:
        records = decode_json(response, parse_float)
        if not isinstance(records, list):
            raise PsaBadResponse(f"ConnectWise answered {path} with something other than a list.",
                                 "Try again; if it persists, check the site address.")
        return records



def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def decode_json(response: requests.Response, parse_float=None):
    """:func:`json_body`, optionally with ``parse_float`` (``Decimal`` for money)."""
    if parse_float is None:
        return json_body(response, SERVICE)
    try:
        return json.loads(response.content, parse_float=parse_float)
    except ValueError:
        return json_body(response, SERVICE)  # raises PsaBadResponse with the usual wording
