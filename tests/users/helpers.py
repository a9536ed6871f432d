"""Small page helpers for the users tests (DOM checks that skip inert <template> content)."""
from __future__ import annotations

from lxml import html as lxml_html

NEW_USER = {
    "role": "user", "first_name": "Sam", "last_name": "Sync", "email": "Sam.Sync@Example.com",
    "username": "", "password": "Long-enough-1", "password_confirm": "Long-enough-1",
}


def page(response):
    return lxml_html.fromstring(response.get_data(as_text=True))


def live_inputs(doc, **attrs):
    """Inputs the browser would have in the DOM: <template> content is inert, so skip it."""
    condition = "".join(f"[@{k}='{v}']" for k, v in attrs.items())
    return doc.xpath(f"//input{condition}[not(ancestor::template)]")


def edit_data(user, **changes) -> dict:
    data = {"role": user.role, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "username": user.username,
            "companies": [c.id for c in user.companies]}
    data.update(changes)
    return data
