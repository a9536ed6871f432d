"""Steps several browser tests take, written once."""

ADMIN_EMAIL = "ada@example.com"
ADMIN_PASSWORD = "Long-enough-1"


def set_up_portal(page, url: str) -> None:
    """First run through /setup as a new admin would; ends on the companies page, logged in."""
    page.goto(url + "/setup")
    page.fill("#account_name", "Acme MSP")
    page.check("input[name=psa_type][value=connectwise]")
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Admin")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_confirm", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/companies**")
