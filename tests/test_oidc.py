"""OpenID Connect sign-in end to end (issue 17): a real OpenID Connect provider (oidc-provider-mock) started by
the test on 127.0.0.1, the app served with `-- --workspace F` and a secrets.toml in a temporary folder (passed
with --secrets.files; the repository's .streamlit is never written), Streamlit's own st.login flow in Debian's
chromium. Nothing leaves the machine.

The provider stands in for Microsoft Entra ID: [auth.microsoft] in secrets.toml, so the button reads
"Sign in with Microsoft"."""
from __future__ import annotations

import threading

import pytest
import werkzeug.serving

from evaluator import Workspace
from tests.browser import ARGS, CHROMIUM, EXCEPTION, Server, free_port, settled
from tests.conftest import tender_paths

HELEN = {"sub": "0f3c9e1a-helen", "email": "helen.marsh@example.org", "name": "Helen Marsh"}
STRANGER = {"sub": "77aa-stranger", "email": "someone.else@example.org", "name": "Someone Else"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """oidc-provider-mock on 127.0.0.1 at a free port, knowing Helen and a stranger."""
    import os

    import oidc_provider_mock
    from oidc_provider_mock import User
    old = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider runs on http, on this machine only
    app = oidc_provider_mock.app(user_claims=[
        User(sub=u["sub"], claims={"email": u["email"], "name": u["name"]}) for u in (HELEN, STRANGER)])
    app.wsgi_app.trusted_hosts.append("127.0.0.1")
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        if old is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = old


@pytest.fixture(scope="module")
def served(provider, tmp_path_factory):
    """The app serving a workspace whose evaluator Helen Marsh signs in with her organisation's account."""
    folder, home = tmp_path_factory.mktemp("oidc"), tmp_path_factory.mktemp("social_value_home")
    rubric, bids, scores = tender_paths("home_care_north")
    with pytest.MonkeyPatch.context() as mp:  # made with the server's home: its audit key is the server's
        mp.setenv("SOCIAL_VALUE_HOME", str(home))
        ws = Workspace.create(folder / "panel.sqlite", rubric, bids, scores_path=scores)
        ws.add_user("Alex Lead", "lead", "correct horse battery staple")
        ws.add_user("Helen Marsh", "evaluator", email=HELEN["email"])  # OpenID Connect only: no password
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a long random secret made for this test only"

[auth.microsoft]
client_id = "social-value-test"
client_secret = "not a real secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    server = Server(home, folder / "server.log", port=port,
                    options=("--secrets.files", str(secrets)), script_args=("--workspace", str(ws.path)))
    try:
        yield server.start(), ws
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in_with_provider(page, url: str, provider: str, sub: str) -> None:
    page.goto(url)
    settled(page)
    page.get_by_role("button", name="Sign in with Microsoft").click(timeout=60_000)
    page.wait_for_url(f"{provider}/**", timeout=30_000)       # at the identity provider
    page.get_by_role("button", name=sub).click()               # the person authorises the app
    page.wait_for_url(f"{url}/**", timeout=30_000)             # back in the app
    settled(page)


def test_an_evaluator_signs_in_with_the_identity_provider_and_the_audit_names_them(served, provider, browser):
    url, ws = served
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(url)
        settled(page)
        page.get_by_label("User name", exact=True).wait_for(timeout=60_000)     # the sign-in form first
        assert page.get_by_label("Password", exact=True).is_visible() and not page.locator('[data-testid="stSidebarNav"]').count()
        sign_in_with_provider(page, url, provider, HELEN["sub"])
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Helen Marsh (Evaluator)").wait_for(timeout=30_000)
        nav = sidebar.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Score" in nav and "Results" not in nav          # an evaluator's pages only
        assert not page.locator(EXCEPTION).count()
        audit = ws.audit_log()
        signed = audit[audit["action"] == "sign_in"]
        assert any(HELEN["sub"] in str(w) and HELEN["email"] in str(w) and "Helen Marsh" in str(w)
                   for w in signed["actor"]), signed

        # a new tab in the same browser is the same sign-in (Streamlit's cookie), within the idle time
        second = context.new_page()
        second.goto(url)
        settled(second)
        second.locator('[data-testid="stSidebar"]').get_by_text("Helen Marsh (Evaluator)").wait_for(timeout=30_000)
        second.close()

        # Sign out ends the provider's sign-in too: the form is back, and a reload does not sign in again
        sidebar.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{provider}/**", timeout=30_000)
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{url}/**", timeout=30_000)
        settled(page)
        page.get_by_label("User name", exact=True).wait_for(timeout=30_000)
        page.reload()
        settled(page)
        page.get_by_label("User name", exact=True).wait_for(timeout=60_000)
        assert not page.get_by_text("Helen Marsh (Evaluator)").count()
    finally:
        context.close()


def test_an_email_that_is_not_on_the_panel_is_told_to_ask_the_lead(served, provider, browser):
    url, ws = served
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in_with_provider(page, url, provider, STRANGER["sub"])
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="is not the email of a user")
        alert.wait_for(timeout=30_000)
        assert STRANGER["email"] in alert.inner_text().replace("\u2060", "")
        assert "procurement lead" in alert.inner_text()
        page.get_by_label("User name", exact=True).wait_for(timeout=60_000)
        settled(page)
        assert not page.locator('[data-testid="stSidebarNav"]').count()   # nothing but the sign-in form
        page.get_by_role("button", name="Sign out of the identity provider").click()
        page.wait_for_url(f"{provider}/**", timeout=30_000)
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{url}/**", timeout=30_000)
        settled(page)
        page.get_by_label("User name", exact=True).wait_for(timeout=30_000)
        assert not page.get_by_text("is not the email of a user").count()
    finally:
        context.close()
