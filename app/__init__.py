"""The app's shared helpers (the pages are in app_pages/, listed in streamlit_app.py).

- ``samples``: the shipped sample tenders (where their files are).
- ``uploads``: reading uploaded files into engine objects, without Streamlit; a large bid upload is read in
  a spawned process of its own.
- ``workspaces``: the app's scores kept in evaluation workspaces (SQLite), saved workspaces, what was open.
- ``state``: the session: the tender, design and scores in use, the cached evaluation.
- ``loading``: putting what was uploaded in use (a new tender, new scores), with its workspace.
- ``ui``: one-line messages, safe text and tables, the table editor whose edits survive leaving a page;
  for a tender with lots, ``lot_picker`` (the lot a page shows, remembered across pages) and the award
  across lots (``show_award``).
- ``panel``: what the Score and Moderation pages share (each question's scale labels, Pass/Fail, the criteria
  as a tree, the panel's scores side by side, where scores are kept, the completion mark).

- ``access``: who is using the app (DESIGN.md section 10): the workspace the server was started with, sign-in
  (password or OpenID Connect), the demonstration's personas, what each role's pages are, refusals in one line.

Each imports only those above it in this list (``ui`` takes its error lines from ``uploads``), so there is
no import circle.
"""
