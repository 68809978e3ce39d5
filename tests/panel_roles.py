"""Who is looking, for the AppTest suites of the Tender, Review and Reports pages, through the app's own
app.access: in the demonstration a persona picked (as the sidebar's picker does), on a panel's workspace
(`streamlit run streamlit_app.py -- --workspace F`, which AppTest's script sees as sys.argv) a user signed in
through the form. `loopback`: the server listens on this machine only (server.address 127.0.0.1), where the
demonstration's lead persona may open server paths."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from evaluator import Workspace
from evaluator.panel import EVALUATOR, LEAD, OBSERVER
from tests.apptest import APP
from tests.conftest import tender_paths

PERSONAS = {LEAD: ("Procurement lead", LEAD), EVALUATOR: ("Priya Raman", EVALUATOR),   # an evaluator of the sample
            OBSERVER: ("Observer", OBSERVER)}
PASSWORD = {LEAD: "correct horse battery staple", EVALUATOR: "tea at four, biscuits at five",
            OBSERVER: "an auditor reads everything"}
USERS = {LEAD: "Alex Lead", EVALUATOR: "Helen Marsh", OBSERVER: "Olu Observer"}


def listening_on(monkeypatch, address: str) -> None:
    """The server's server.address, as app.access reads it."""
    from streamlit import config
    real = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: address if key == "server.address" else real(key))


def demonstration(monkeypatch, role: str, *, loopback: bool = True, page: Optional[str] = None, timeout=120):
    """The demonstration with `role`'s persona picked; `page` switched to."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py"])
    listening_on(monkeypatch, "127.0.0.1" if loopback else "0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["sv_persona"] = PERSONAS[role]
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def panel(path: Path) -> Workspace:
    """The home-care sample as a panel's workspace: a lead, an evaluator of the sample and an observer."""
    rubric, bids, scores = tender_paths("home_care_north")
    ws = Workspace.create(path, rubric, bids, scores_path=scores)
    for role in (LEAD, EVALUATOR, OBSERVER):
        ws.add_user(USERS[role], role, PASSWORD[role])
    return ws


def signed_in(monkeypatch, ws: Workspace, role: str, *, page: Optional[str] = None, timeout=120):
    """The app served on `ws` (--workspace), `role`'s user signed in through the form; `page` switched to."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py", "--workspace", str(ws.path)])
    listening_on(monkeypatch, "0.0.0.0")  # a panel served on a network: the lead alone may name server paths
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    fields = {t.label: t for t in at.text_input}
    fields["User name"].input(USERS[role])
    fields["Password"].input(PASSWORD[role])
    at.button(key="FormSubmitter:sv_sign_in-Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.switch_page(page).run()
    return at
