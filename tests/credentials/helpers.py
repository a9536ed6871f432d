"""Page helpers: DOM checks that skip inert <template> content, and the demo form posts."""
from __future__ import annotations

from lxml import html as lxml_html

from wisesync.simulator import demo

MEMBER = {"cw_member_id": demo.CW_MEMBER_ID, "cw_member_password": demo.CW_MEMBER_PASSWORD,
          "cw_member_password_confirm": demo.CW_MEMBER_PASSWORD}
API = {"cw_public_key": demo.CW_PUBLIC_KEY, "cw_private_key": demo.CW_PRIVATE_KEY}
AUTOTASK = {"at_username": demo.AT_RESOURCE_USERNAME, "at_password": demo.AT_RESOURCE_PASSWORD,
            "at_password_confirm": demo.AT_RESOURCE_PASSWORD}


def page(response):
    return lxml_html.fromstring(response.get_data(as_text=True))


def live_inputs(doc, **attrs):
    """Inputs the browser has in the DOM before any click: <template> content is inert."""
    condition = "".join(f"[@{k}='{v}']" for k, v in attrs.items())
    return doc.xpath(f"//input{condition}[not(ancestor::template)]")


def template_inputs(doc, template_id: str):
    """Inputs inside ``<template id=...>`` (lxml parses template content as ordinary children)."""
    return doc.xpath(f"//template[@id='{template_id}']//input")


def checklist(response) -> list[str]:
    return [" ".join(li.text_content().split()) for li in page(response).xpath("//ul[@class='checklist']/li")]
