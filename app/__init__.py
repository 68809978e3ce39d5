"""The app's shared helpers (the pages are in app_pages/, listed in streamlit_app.py).

- ``samples``: the shipped sample tenders (where their files are).
- ``uploads``: reading uploaded files into engine objects, without Streamlit; a large bid upload is read in
  a spawned process of its own.
- ``workspaces``: the app's scores kept in evaluation workspaces (SQLite), saved workspaces, what was open.
- ``state``: the session: the tender, design and scores in use, the cached evaluation.
- ``loading``: putting what was uploaded in use (a new tender, new scores), with its workspace.
- ``ui``: one-line messages, safe text and tables, the table editor whose edits survive leaving a page.
- ``panel``: what the Score and Moderation pages share (scale labels, where scores are kept, the
  completion mark).

Each imports only those above it in this list (``ui`` takes its error lines from ``uploads``), so there is
no import circle.
"""
