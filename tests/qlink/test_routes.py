"""QLink pages through the test client: generate, revoke, open, the 404, who may do what."""
from __future__ import annotations

from sqlalchemy import select

from tests.builders import make_account, make_admin
from tests.qlink.helpers import cw_account_with_people, token_from
from wisesync.extensions import db
from wisesync.qlink import services
from wisesync.qlink.models import QLink


def test_generate_shows_the_full_link_once_with_copy_button_and_connectwise_steps(app, client, login):
    _, admin, user = cw_account_with_people()
    login(admin)
    response = client.post(f"/users/{user.id}/qlink")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = token_from(response)
    assert 'data-copy="qlink-url"' in html and 'id="qlink-url"' in html
    assert "Custom Menu Entry" in html and "System &gt; Setup Tables" in html
    assert html.count(f'href="/users/{user.id}#qlink"') == 2  # Back and Done lead to the QLink section
    assert html.count(token) >= 2  # in the box and filled into the ConnectWise step
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"

    edit = client.get(f"/users/{user.id}").get_data(as_text=True)
    assert token not in edit and token[4:20] not in edit
    assert "Active" in edit and "Never used yet" in edit and "Revoke QLink" in edit
    assert "dedicated user" in edit


def test_opening_a_qlink_starts_a_fresh_marked_session_and_redirects_cleanly(app, client, login):
    _, admin, user = cw_account_with_people()
    token = services.generate_qlink(user, actor=admin)
    login(admin)  # someone else's session in this browser must not survive
    with client.session_transaction() as s:
        s["leftover"] = "x"
    response = client.get(f"/q/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    with client.session_transaction() as s:
        assert s["qlink"] == user.id
        assert s["_user_id"] == user.get_id()
        assert "leftover" not in s
    assert f"Welcome, {user.first_name}" in client.get("/").get_data(as_text=True)
    link = db.session.scalar(select(QLink))
    assert link.last_used_ip == "127.0.0.1" and link.last_used_framed is False


def test_bad_revoked_and_disabled_tokens_get_the_same_plain_404(app, client, login):
    _, admin, user = cw_account_with_people()
    revoked = services.generate_qlink(user, actor=admin)
    services.revoke_qlink(user, actor=admin)
    _, admin2, other = cw_account_with_people()
    disabled = services.generate_qlink(other, actor=admin2)
    db.session.execute(db.update(type(other)).where(type(other).id == other.id).values(enabled=False))
    db.session.commit()
    answers = [client.get(f"/q/{t}") for t in
               ("wsq_" + "A" * 43, revoked, disabled, "nonsense", "wsa_" + "B" * 43)]
    assert {r.status_code for r in answers} == {404}
    bodies = {r.get_data(as_text=True) for r in answers}
    assert len(bodies) == 1, "no hint which part was wrong"
    body = bodies.pop()
    assert "disabled" not in body.lower() and "revoked" not in body.lower() and "expired" not in body.lower()
    assert all(r.headers["Referrer-Policy"] == "no-referrer" for r in answers)
    with client.session_transaction() as s:
        assert "_user_id" not in s


def test_regenerating_kills_the_old_link_in_the_browser_too(app, client, login):
    _, admin, user = cw_account_with_people()
    login(admin)
    first = token_from(client.post(f"/users/{user.id}/qlink"))
    second = token_from(client.post(f"/users/{user.id}/qlink"))
    assert client.get(f"/q/{first}").status_code == 404
    assert client.get(f"/q/{second}").status_code == 303


def test_revoke_stops_the_link(app, client, login):
    _, admin, user = cw_account_with_people()
    token = services.generate_qlink(user, actor=admin)
    login(admin)
    response = client.post(f"/users/{user.id}/qlink/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{user.id}#qlink"  # back to the QLink section
    assert client.get(f"/q/{token}").status_code == 404
    assert "No QLink" in client.get(f"/users/{user.id}").get_data(as_text=True)


def test_disabling_through_the_users_page_kills_the_qlink(app, client, login):
    _, admin, user = cw_account_with_people()
    token = services.generate_qlink(user, actor=admin)
    login(admin)
    client.post(f"/users/{user.id}/disable")
    client.post(f"/users/{user.id}/enable")
    assert client.get(f"/q/{token}").status_code == 404


def test_user_role_gets_403_and_other_account_ids_404(app, client, login):
    _, admin, user = cw_account_with_people()
    other_account = make_account(name="Other MSP")
    stranger_admin = make_admin(other_account)
    login(user)
    assert client.post(f"/users/{user.id}/qlink").status_code == 403
    assert client.post(f"/users/{user.id}/qlink/revoke").status_code == 403
    assert client.get("/qlinks").status_code == 403
    assert client.post("/account/qlink").status_code == 403
    client.post("/logout")
    login(stranger_admin)
    assert client.post(f"/users/{user.id}/qlink").status_code == 404
    assert client.post(f"/users/{user.id}/qlink/revoke").status_code == 404
    assert services.qlink_for(user) is None


def test_autotask_accounts_have_no_qlinks(app, client, login):
    _, admin, user = cw_account_with_people(psa_type="autotask")
    login(admin)
    assert client.post(f"/users/{user.id}/qlink").status_code == 404
    assert client.post(f"/users/{user.id}/qlink/revoke").status_code == 404
    assert client.get("/qlinks").status_code == 404
    assert client.post("/account/qlink").status_code == 404
    page = client.get(f"/users/{user.id}")
    assert page.status_code == 200 and "QLink</h2>" not in page.get_data(as_text=True)


def test_framed_open_without_cookie_support_offers_a_new_window_instead_of_a_loop(app):
    _, admin, user = cw_account_with_people()
    token = services.generate_qlink(user, actor=admin)
    cookieless = app.test_client(use_cookies=False)
    framed = {"Sec-Fetch-Dest": "iframe"}
    first = cookieless.get(f"/q/{token}", headers=framed)
    assert first.status_code == 303 and first.headers["Location"] == f"/q/{token}?probe=1"
    assert "Set-Cookie" in first.headers
    second = cookieless.get(first.headers["Location"], headers=framed)
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert "Open Wise-Sync in a new window" in html
    assert f'href="http://localhost/q/{token}" target="_blank"' in html
    assert second.headers["Referrer-Policy"] == "no-referrer"
    assert db.session.scalar(select(QLink)).last_used_at is None  # the probe is not a use


def test_framed_open_with_cookies_probes_then_logs_in(app, client):
    _, admin, user = cw_account_with_people()
    token = services.generate_qlink(user, actor=admin)
    framed = {"Sec-Fetch-Dest": "iframe"}
    first = client.get(f"/q/{token}", headers=framed)
    assert first.headers["Location"] == f"/q/{token}?probe=1"
    second = client.get(first.headers["Location"], headers=framed)
    assert second.status_code == 303 and second.headers["Location"] == "/"
    assert db.session.scalar(select(QLink)).last_used_framed is True
    # Once a cookie exists in this frame, the next open needs no probe.
    assert client.get(f"/q/{token}", headers=framed).headers["Location"] == "/"


def test_qlinks_page_lists_links_and_generates_the_account_qlink(app, client, login):
    account, admin, user = cw_account_with_people()
    services.generate_qlink(user, actor=admin)
    login(admin)
    page = client.get("/qlinks").get_data(as_text=True)
    assert user.full_name in page and "Generate Account QLink" in page
    response = client.post("/account/qlink")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "http://localhost/a/wsa_" in html and "Custom Menu Entry" in html
    assert "Regenerate Account QLink" in client.get("/qlinks").get_data(as_text=True)
    assert client.post("/account/qlink/revoke").status_code == 302
    assert services.account_qlink_for(account.id) is None


def test_account_qlink_opens_the_embedded_login_page_of_that_account(app, client, login):
    account, admin, user = cw_account_with_people()
    token = services.generate_account_qlink(account, actor=admin)
    response = client.get(f"/a/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/embedded/login"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/embedded/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and account.name in html and 'action="/login"' in html
    assert '<a href="/reset-password" id="forgot-password">Forgot your password?</a>' in html
    assert client.get("/reset-password").status_code == 200  # the page it leads to opens
    with client.session_transaction() as s:
        assert s["embedded_account"] == account.id and s["embedded"] is True
    login(user)
    assert f"Welcome, {user.first_name}" in client.get("/").get_data(as_text=True)
    assert client.get("/a/wsa_" + "C" * 43).status_code == 404
    assert client.get(f"/a/{token[:-1]}").status_code == 404


def test_embedded_login_without_an_account_qlink_goes_to_the_normal_login(app, client):
    cw_account_with_people()
    response = client.get("/embedded/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
