"""The favicon is vendored (no CDN) and every page names it (issue 13 #11)."""
from __future__ import annotations


def test_every_page_names_the_vendored_favicon_and_it_is_served(client):
    page = client.get("/setup").get_data(as_text=True)
    assert 'rel="icon" href="/static/img/favicon.svg"' in page and "/static/img/favicon-32.png" in page
    svg = client.get("/static/img/favicon.svg")
    assert svg.status_code == 200 and svg.get_data().startswith(b"<svg")
    png = client.get("/static/img/favicon-32.png")
    assert png.status_code == 200 and png.get_data().startswith(b"\x89PNG")
