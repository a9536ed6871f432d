"""Steps several browser tests take, written once."""

ADMIN_EMAIL = "ada@example.com"
ADMIN_PASSWORD = "Long-enough-1"


def set_up_portal(page, url: str, psa: str = "connectwise", account: str = "Acme MSP") -> None:
    """First run through /setup as a new admin would; ends on the companies page, logged in."""
    page.goto(url + "/setup")
    page.fill("#account_name", account)
    page.check(f"input[name=psa_type][value={psa}]")
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Admin")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_confirm", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/companies**")


def add_company(page, url: str, name: str = "Acme Holdings Ltd") -> None:
    page.goto(url + "/companies/new")
    page.fill("#name", name)
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    page.click("main button:has-text('Add company')")
    page.wait_for_url("**/companies/")


def connect_connectwise(page, url: str, sim_url: str) -> None:
    """Integration Settings aimed at the simulator, through Test and Save (the demo keys)."""
    from wisesync.simulator import demo

    page.goto(url + "/integrations")
    page.fill("#cw_company_id", demo.CW_COMPANY_ID)
    page.select_option("#cw_region", "self")
    page.fill("#cw_site", sim_url)
    page.fill("#cw_public_key", demo.CW_PUBLIC_KEY)
    page.fill("#cw_private_key", demo.CW_PRIVATE_KEY)
    page.fill("#cw_client_id", "wise-sync-browser")
    page.click("button:has-text('Test and Save')")
    page.wait_for_load_state()
    assert "Connected and saved" in page.inner_text("main"), page.inner_text("main")


def add_user(page, url: str, first: str = "Sam", last: str = "Sync", email: str = "sam@example.com") -> str:
    """A User-role user ticked for the first company; returns the URL of their page."""
    page.goto(url + "/users/new")
    page.fill("#first_name", first)
    page.fill("#last_name", last)
    page.fill("#email", email)
    page.check("input[name=role][value=user]")
    page.check("input[name=companies]")
    page.fill("#password", "Long-enough-1")
    page.fill("#password_confirm", "Long-enough-1")
    page.click("button:has-text('Create user')")
    page.wait_for_url("**/users/*")
    return page.url.split("#")[0]


def add_company_taking(page, url: str, name: str, locations=("1", "3")) -> None:
    """A company taking these ConnectWise billing locations (a pull must have stored them)."""
    page.goto(url + "/companies/new")
    page.fill("#name", name)
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    for location in locations:
        page.check(f"input[name=psa_locations][value='{location}']")
    page.click("main button:has-text('Add company')")
    page.wait_for_url("**/companies/")


def connect_xero(page, url: str, sim_url: str, company: str, organisation: str = "Wisesim NZ Ltd") -> None:
    """Connect Xero on the company's page through the simulator's consent page, then save the
    organisation's exempt tax codes; ends on the company's page."""
    import re

    page.goto(url + "/companies/")
    page.click(f"table a:has-text('{company}')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    page.click("#xero button:has-text('Connect Xero')")
    page.wait_for_url(sim_url + "/xero/identity/connect/authorize**")
    page.check(f"text={organisation}")
    page.click("button:has-text('Allow access')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    page.select_option("#sales_exempt_tax_code", "EXEMPTOUTPUT")
    page.select_option("#purchase_exempt_tax_code", "EXEMPTINPUT")
    page.click("main button:has-text('Save company')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
