"""Typing the Autotask zone as help articles say — ``webservices2`` — is accepted and mapped to
that zone's REST address (issue 13 #11)."""
from __future__ import annotations

import html

import pytest
from werkzeug.datastructures import MultiDict

from tests.integrations.helpers import at_form
from wisesync.integrations.forms import AutotaskSettingsForm, autotask_zone_url

ZONE2 = "https://webservices2.autotask.net/ATServicesRest/"


@pytest.mark.parametrize("typed", ["webservices2", "WebServices2", " webservices2 ", "webservices2.autotask.net",
                                   "webservices2.autotask.net/", "https://webservices2.autotask.net",
                                   "http://webservices2.autotask.net/"])
def test_a_zone_name_or_host_becomes_the_zones_rest_url(typed):
    assert autotask_zone_url(typed) == ZONE2


@pytest.mark.parametrize("typed", ["https://webservices14.autotask.net/ATServicesRest/", "http://127.0.0.1:8081/x/", "", None])
def test_full_urls_and_blanks_are_left_as_they_are(typed):
    assert autotask_zone_url(typed) == typed


def form_with(app, **values) -> AutotaskSettingsForm:
    with app.test_request_context(method="POST", data=at_form(**values)):
        form = AutotaskSettingsForm(formdata=MultiDict(at_form(**values)), meta={"csrf": False})
        form.validate()
        return form


def test_the_form_accepts_webservices2_and_keeps_the_mapped_url(app):
    form = form_with(app, at_zone_url="webservices2")
    assert not form.at_zone_url.errors
    assert form.at_zone_url.data == ZONE2


@pytest.mark.parametrize("typed", ["webservices", "ww2.autotask.net", "autotask"])
def test_anything_else_without_a_scheme_says_what_to_type(app, typed):
    form = form_with(app, at_zone_url=typed)
    assert form.at_zone_url.errors == [
        "Type the zone's name or URL, like webservices5, or its URL https://webservices5.autotask.net/ATServicesRest/."]


def test_the_page_explains_the_short_form(client, login):
    from tests.builders import make_account, make_admin

    login(make_admin(make_account(psa_type="autotask")))
    page = client.get("/integrations/").get_data(as_text=True)
    assert "or type the zone: webservices5" in page
    response = client.post("/integrations/autotask", data=at_form(at_zone_url="webservices"))
    assert response.status_code == 400
    assert "Type the zone's name or URL" in html.unescape(response.get_data(as_text=True))
