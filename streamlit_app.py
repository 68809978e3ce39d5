"""Social value, weighed two ways: the app. `streamlit run streamlit_app.py` opens on the shipped sample.

Pages live in app_pages/ and are listed below, one per line, grouped by who uses them. To add a page,
add one line `("<group>", "app_pages/<name>.py", "<title>"),` where it belongs.
The pages' shared helpers are the package app/: state.py holds the loaded tender, the design and scores in
use and the evaluation; uploads.py and loading.py read uploads and put them in use; ui.py draws messages;
access.py says who is using the app (`streamlit run streamlit_app.py -- --workspace F` serves one panel's
workspace behind sign-in; without it, the shipped samples are a demonstration with a persona picker) and which
pages their role is shown.
"""
import streamlit as st

st.set_page_config(page_title="Social value, weighed two ways", layout="wide")

from app.sessions import watch_session  # noqa: E402 - a closed tab's session is ended, and its memory freed

watch_session()

from app import access  # noqa: E402 - who is using the app (sign-in, or a demonstration persona)

access.banner()  # the demonstration says so at the top of every page
identity = access.require_identity()  # a panel's workspace: the sign-in form, and nothing else, until signed in

PAGES = [  # (who uses it, the page's file, its title); the first is where the app opens
    ("Tender", "app_pages/tender.py", "Tender"),
    ("Commissioner", "app_pages/design.py", "Design"),
    ("Evaluator", "app_pages/score.py", "Score"),
    ("Evaluator", "app_pages/moderation.py", "Moderation"),
    ("Procurement lead", "app_pages/results.py", "Results"),
    ("Procurement lead", "app_pages/figures.py", "Figures vs design"),
    ("Procurement lead", "app_pages/sensitivity.py", "Sensitivity"),
    ("Procurement lead", "app_pages/reports.py", "Reports"),
    ("Supplier", "app_pages/self_assessment.py", "Self-assessment"),
    ("Reviewer", "app_pages/review.py", "Review"),
]

shown = set(access.pages_for(identity.role, [title for _, _, title in PAGES]))  # a page a role cannot use is not listed
groups: dict[str, list] = {}
for group, path, title in PAGES:
    if title in shown:
        groups.setdefault(group, []).append(st.Page(path, title=title, default=path == PAGES[0][1]))
page = st.navigation(groups)
access.sidebar(identity)

from app.state import get_tender  # noqa: E402 - after set_page_config
from app.ui import guard  # noqa: E402

with guard("the tender summary"):
    _tender = get_tender()
    st.sidebar.caption("Tender in use")
    st.sidebar.text(_tender.label)
page.run()
