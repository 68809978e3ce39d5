"""Who is using the app (DESIGN.md section 10): the signed-in person, or in the demonstration a persona.

Two ways to run the app:

- ``streamlit run streamlit_app.py -- --workspace F`` serves one panel: only the workspace F (it must exist and
  its audit log verify), and nothing until someone signs in, with a user name and password kept in F
  (``Workspace.sign_in``) or through the organisation's identity provider (Streamlit's ``st.login``, set up in
  ``.streamlit/secrets.toml``; the provider's email is mapped to a user by ``Workspace.identity_for_openid``).
- ``streamlit run streamlit_app.py`` is the demonstration: the shipped samples with no set-up, a banner on
  every page, and a persona picked in the sidebar (the lead, each evaluator named in the sample's scores, an
  observer). A workspace that has users still asks for sign-in, however it was opened.

A session left idle for longer than ``$SOCIAL_VALUE_IDLE_MINUTES`` (default 30) must sign in again. What each
role may do is decided by the workspace (the engine refuses); the app only hides what a role cannot use.

Public API (pages import them): ``panel_workspace``, ``current_identity``, ``require_identity``,
``is_demonstration``, ``server_paths_allowed``, ``refusal``; streamlit_app.py also draws ``banner``,
``sidebar`` and asks ``pages_for(role)``.
"""
from __future__ import annotations

import logging
import os
import shlex
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

import streamlit as st

from app import state
from app.serving import ARG, _argv_workspace, panel_workspace  # noqa: F401 - pages name panel_workspace from here

from evaluator import EvaluatorError, Workspace
from evaluator.panel import (DEMONSTRATION, EVALUATOR, LEAD, OBSERVER, OPENID, ROLE_WORDS, Identity, NotAllowed,
                             SignInRefused, demonstration)

_LOG = logging.getLogger("social_value_app")

IDLE_ENV = "SOCIAL_VALUE_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
LEAD_PERSONA = "Procurement lead"        # the demonstration's personas besides the sample's evaluators
OBSERVER_PERSONA = "Observer"

# Pages each role is shown (streamlit_app.py lists pages by these names). A page a role cannot use is not
# listed; the workspace still refuses the action if it is reached some other way.
PAGES_BY_ROLE = {
    LEAD: None,                                                      # every page
    EVALUATOR: {"Tender", "Score", "Moderation", "Self-assessment", "Review"},  # Moderation: own scores until submitted
    OBSERVER: {"Tender", "Moderation", "Results", "Figures vs design", "Sensitivity", "Reports",
               "Self-assessment", "Review"},
}

_SIGNED = "sv_signed_in"       # {"workspace": path, "identity": Identity, "last": time.time() of the last run}
_PERSONA = "sv_persona"        # (user, role) picked in the demonstration
_NOTICE = "sv_access_notice"   # one line for the sign-in form (signed out after inactivity, removed user...)
_CHECKED = "sv_panel_checked"  # (path, problem or None): the --workspace file checked once per session
_WS = "sv_access_ws"           # {path: Workspace}
_FORM = "sv_sign_in"
_PANEL_KEY = "sv_panel_tender"  # the key of the panel's tender as last put in use

# OpenID Connect logins (subject, issued at) -> when that login was last active in this server, or 0 once
# signed out: a provider's cookie lasts 30 days, so an idle or signed-out login is not taken again.
_OPENID_SEEN: dict[tuple[str, str], float] = {}


# ------------------------------------------------------------------------------------------- the server

def is_demonstration() -> bool:
    """Whether the app runs as the demonstration (started without --workspace)."""
    return _argv_workspace() is None


def panel_problem() -> Optional[str]:
    """Why the --workspace file cannot be served, in one line (checked once per session), else None."""
    path = panel_workspace()
    if path is None:
        return None
    if not str(_argv_workspace()).strip():
        _LOG.error("%s needs the path of a workspace file: streamlit run streamlit_app.py -- %s F.sqlite", ARG, ARG)
        return ("the server was started without naming the panel's workspace file: whoever runs the server must "
                "restart it with the workspace named (README, \"Serving a panel\")")
    held = st.session_state.get(_CHECKED)
    if held is not None and held[0] == str(path):
        return held[1]
    from app.workspaces import open_problem
    _, problem = open_problem(str(path))
    st.session_state[_CHECKED] = (str(path), problem)
    return problem


def idle_minutes() -> float:
    """$SOCIAL_VALUE_IDLE_MINUTES (default 30): how long a session may sit unused before signing in again."""
    text = os.environ.get(IDLE_ENV, "").strip()
    if not text:
        return DEFAULT_IDLE_MINUTES
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        _LOG.warning("%s=%r is not a number of minutes above 0: using %g", IDLE_ENV, text, DEFAULT_IDLE_MINUTES)
        return DEFAULT_IDLE_MINUTES
    return value


def _loopback() -> bool:
    from streamlit import config
    address = str(config.get_option("server.address") or "").strip().strip("[]")
    return address in ("localhost", "::1") or address.startswith("127.")


# ------------------------------------------------------------------------------------------- workspaces

def _open(path: Path | str) -> Workspace:
    held = st.session_state.setdefault(_WS, {})
    key = str(path)
    if key not in held:
        held[key] = Workspace.open(path)
    return held[key]


def has_users(ws: Optional[Workspace]) -> bool:
    """Whether a workspace has a panel of named users (then nobody acts on it without signing in)."""
    return ws is not None and bool(ws.has_users)


def _panel_tender() -> None:
    """Keep the panel's workspace the tender in use (read afresh when the lead has replaced its files)."""
    from app.state import get_tender, set_tender, workspace_tender
    tender = workspace_tender(panel_workspace())
    if st.session_state.get(_PANEL_KEY) != tender.key or get_tender().key != tender.key:
        set_tender(tender)
        st.session_state[_PANEL_KEY] = tender.key


def _workspace_in_force() -> Optional[Workspace]:
    """The workspace whose users decide who may act: the panel's, or (demonstration) the tender in use's."""
    path = panel_workspace()
    if path is not None:
        return _open(path)
    from app import workspaces
    from app.state import get_tender
    return workspaces.workspace_for(get_tender())


# ------------------------------------------------------------------------------------------- identity

def _expire(reason: str) -> None:
    held = st.session_state.pop(_SIGNED, None)
    if held is not None:
        ident = held["identity"]
        if ident.via == OPENID:
            _OPENID_SEEN[held.get("login", ("", ""))] = 0.0
    st.session_state[_NOTICE] = reason


def _idle_line() -> str:
    return (f"You were signed out after {idle_minutes():g} minutes without activity: sign in again "
            "(nothing you saved is lost).")


def _held_identity(ws: Workspace) -> Optional[Identity]:
    """This session's signed-in person for `ws`, re-read from its users (a removed user or a changed role
    counts at once); None once idle too long."""
    held = st.session_state.get(_SIGNED)
    if held is None or held["workspace"] != str(ws.path):
        return None
    now = time.time()
    if now - held["last"] > idle_minutes() * 60:
        _expire(_idle_line())
        return None
    try:
        identity = ws.identity(held["identity"])
    except NotAllowed as exc:
        _expire(_plain(exc.line()))
        return None
    held["last"] = now
    if held["identity"].via == OPENID:
        _OPENID_SEEN[held["login"]] = now
    held["identity"] = identity
    return identity


def _remember(ws: Workspace, identity: Identity, login: tuple[str, str] = ("", "")) -> None:
    st.session_state[_SIGNED] = {"workspace": str(ws.path), "identity": identity, "last": time.time(),
                                 "login": login}
    st.session_state.pop(_NOTICE, None)


def _user_field(name: str) -> str:
    try:
        value = st.user.get(name)
    except Exception:  # noqa: BLE001 - outside a server, or no [auth] configured
        return ""
    return "" if value is None else str(value)


def _openid_logged_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in"))
    except Exception:  # noqa: BLE001
        return False


def _openid_identity(ws: Workspace) -> Optional[Identity]:
    """The person the identity provider signed in (st.user), mapped to a user of `ws`, when that login is
    still fresh (used within the idle time, or issued within it) and not signed out."""
    if not _openid_logged_in():
        return None
    email, subject = _user_field("email"), _user_field("sub")
    login = (subject, _user_field("iat"))
    try:
        issued = float(login[1])
    except ValueError:
        issued = time.time()  # a provider that does not say when: taken as just now
    last = _OPENID_SEEN.get(login, issued)  # 0 once signed out here
    if time.time() - last > idle_minutes() * 60:
        if last:  # an idle login: say why; a signed-out one is simply not taken
            st.session_state.setdefault(_NOTICE, _idle_line())
        return None
    try:
        identity = ws.identity_for_openid(email, subject)
    except NotAllowed as exc:
        st.session_state[_NOTICE] = _plain(exc.line())  # it names the email and says to ask the procurement lead
        st.session_state["sv_openid_unmapped"] = True
        return None
    _OPENID_SEEN[login] = time.time()
    _forget_stale_logins()
    _remember(ws, identity, login)
    return identity


def _forget_stale_logins() -> None:
    """Drop what is kept of logins issued and last used longer ago than the idle time (their cookie would
    be refused by its age alone), so the record stays small."""
    if len(_OPENID_SEEN) < 256:
        return
    cutoff = time.time() - idle_minutes() * 60
    for key, last in list(_OPENID_SEEN.items()):
        try:
            issued = float(key[1])
        except ValueError:
            continue
        if issued < cutoff and last < cutoff:
            _OPENID_SEEN.pop(key, None)


def _persona() -> Identity:
    held = st.session_state.get(_PERSONA)
    try:
        user, role = held if held else (LEAD_PERSONA, LEAD)
        return demonstration(str(user), str(role))
    except (TypeError, ValueError, NotAllowed):  # not a (user, role) pair: the lead, as on a first visit
        return demonstration(LEAD_PERSONA, LEAD)


def personas() -> list[tuple[str, str]]:
    """The demonstration's personas: the lead, each evaluator named in the tender's scores, an observer."""
    from app.state import get_tender
    from evaluator import MODERATED
    scores = get_tender().scores
    names = sorted({str(e) for e in scores["evaluator"]} - {MODERATED}) if "evaluator" in scores else []
    return [(LEAD_PERSONA, LEAD)] + [(n, EVALUATOR) for n in names] + [(OBSERVER_PERSONA, OBSERVER)]


def current_identity() -> Optional[Identity]:
    """The signed-in person (or the persona picked in the demonstration); None when someone must sign in."""
    if panel_workspace() is not None:
        if panel_problem():
            return None
        ws = _open(panel_workspace())
    else:
        ws = _workspace_in_force()
        if not has_users(ws):
            return _persona()
    return _held_identity(ws) or _openid_identity(ws)


def require_identity() -> Identity:
    """The person using the app; when there is none, draws the sign-in form (or the reason the panel's
    workspace cannot be served) and stops the page. In the demonstration there is always a persona."""
    if panel_workspace() is not None:
        problem = panel_problem()
        if problem:
            st.error(_md(f"This panel's workspace cannot be opened: {problem}"))
            st.stop()
        try:
            _panel_tender()
        except EvaluatorError as exc:  # its files no longer load: named in one line, nothing else works
            st.error(_md(f"This panel's workspace cannot be opened: {_plain(exc.line().splitlines()[0])}"))
            st.stop()
    try:
        identity = current_identity()
    except EvaluatorError as exc:  # the workspace busy or unreadable a moment: one line, never a traceback
        refusal(exc)
        st.stop()
    if identity is not None:
        return identity
    ws = _workspace_in_force()
    if not has_users(ws):
        _LOG.warning("workspace %s has no users: the procurement lead makes the first with: python -m evaluator "
                     "workspace user add --db %s --user NAME --role lead", ws.path, shlex.quote(str(ws.path)))
        st.error(_md(no_users_line(ws)))
        st.stop()
    _sign_in_form(ws)
    st.stop()


# ------------------------------------------------------------------------------------------- drawing

def no_users_line(ws: Workspace) -> str:
    """Why nobody can sign in to a workspace without users, and who must do what, in words (the exact command
    goes to the server log)."""
    return (f"The panel of {ws.meta['tender_id']} {ws.meta['tender_title']} has no users yet, so nobody can sign in. "
            "Whoever runs the server must first add the procurement lead as the workspace's first user, then the "
            "evaluators (README, \"Serving a panel\"); the exact command is in the server's log.")


def _plain(line: str) -> str:
    from app.workspaces import plain
    return plain(line)


def _md(text: str) -> str:
    from app.ui import escape_md
    return escape_md(text)


def refusal(exc: BaseException) -> None:
    """A NotAllowed or SignInRefused (any EvaluatorError) as its one line, in place."""
    if isinstance(exc, EvaluatorError):
        st.error(_md(_plain(exc.line())))
    else:
        from app.ui import show_error
        show_error(exc)


def providers() -> list[tuple[str, str]]:
    """The OpenID Connect providers set up in secrets.toml's [auth]: (name for st.login, words for the button)."""
    try:
        if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
            return []
        auth = st.secrets["auth"]
    except Exception:  # noqa: BLE001 - an unreadable secrets.toml: Streamlit names it in the server log
        return []
    if not isinstance(auth, Mapping):
        return []
    words = {"microsoft": "Microsoft", "google": "Google", "entra": "Microsoft Entra ID", "okta": "Okta"}
    found = []
    if "client_id" in auth and "server_metadata_url" in auth:
        found.append(("default", "your organisation's account"))
    for name, section in auth.items():
        if isinstance(section, Mapping) and "server_metadata_url" in section:
            found.append((name, words.get(name.lower(), name.replace("-", " ").title())))
    return found


def _sign_in_form(ws: Workspace) -> None:
    _, mid, _ = st.columns([1, 2, 1])
    with mid:
        st.subheader("Sign in")
        st.caption(_md(f"to the panel of {ws.meta['tender_id']} {ws.meta['tender_title']}"))
        notice = st.session_state.get(_NOTICE)
        if notice:
            st.warning(_md(notice))
        with st.form(_FORM):
            user = st.text_input("User name", autocomplete="username")
            password = st.text_input("Password", type="password", autocomplete="current-password")
            pressed = st.form_submit_button("Sign in", type="primary")
        if pressed:
            if not user.strip() or not password:
                st.error("Type your user name and your password, then press Sign in.")
            else:
                try:
                    identity = ws.sign_in(user.strip(), password)
                except SignInRefused as exc:
                    refusal(exc)
                else:
                    _remember(ws, identity)
                    st.rerun()
        for name, words in providers():
            if st.button(f"Sign in with {words}", key=f"sv_login_{name}", width="stretch"):
                st.session_state.pop(_NOTICE, None)
                st.login(name)
        if st.session_state.get("sv_openid_unmapped") and _openid_logged_in():
            if st.button("Sign out of the identity provider", key="sv_openid_out"):
                st.session_state.pop("sv_openid_unmapped", None)
                st.logout()
        if is_demonstration():
            st.caption("Or go back to the demonstration:")
            if st.button("Open the shipped sample", key="sv_back_to_sample"):
                from app.samples import DEFAULT_SAMPLE
                from app.state import sample_tender, set_tender
                set_tender(sample_tender(DEFAULT_SAMPLE))
                st.rerun()


def banner() -> None:
    """The demonstration's banner (streamlit_app.py draws it at the top of every page)."""
    if is_demonstration():
        st.info("Demonstration: the shipped sample tenders, open to anyone who can reach this app, with no "
                "sign-in. Pick whose view to see under *Demonstration persona* in the sidebar. A real panel runs "
                "on a server of its own, for one tender, with sign-in (README, \"Serving a panel\").", icon=":material/science:")


def persona_label(persona: tuple[str, str]) -> str:
    """'Helen Marsh (evaluator)'; the lead and observer personas by their role alone."""
    user, role = persona
    if (user, role) == (LEAD_PERSONA, LEAD):
        return LEAD_PERSONA
    if (user, role) == (OBSERVER_PERSONA, OBSERVER):
        return "Observer (reads only)"
    return f"{user} ({ROLE_WORDS.get(role, role).split(' (')[0].lower()})"


def sidebar(identity: Identity) -> None:
    """Who is using the app: the persona picker (demonstration), or the signed-in person and Sign out."""
    if identity.via == DEMONSTRATION:
        options = personas()
        current = (identity.user, identity.role)
        if current not in options:  # a persona kept from another tender (or set by a test): offered too
            options.insert(len(options) - 1, current)
        chosen = st.sidebar.selectbox(
            "Demonstration persona", options, index=options.index(current) if current in options else 0,
            format_func=persona_label, key="sv_persona_pick",
            help="The demonstration has no sign-in: pick the person whose view you want to see.")
        if chosen != current:
            st.session_state[_PERSONA] = chosen
            st.rerun()
        return
    st.sidebar.caption("Signed in as")
    st.sidebar.text(f"{identity.user} ({ROLE_WORDS.get(identity.role, identity.role)})")
    if st.sidebar.button("Sign out", key="sv_sign_out"):
        sign_out()


def sign_out() -> None:
    """End this session's sign-in (and the identity provider's, for OpenID Connect)."""
    held = st.session_state.pop(_SIGNED, None)
    st.session_state.pop(_NOTICE, None)
    if held is not None and held["identity"].via == OPENID:
        _OPENID_SEEN[held.get("login", ("", ""))] = 0.0
        st.logout()
        return
    st.rerun()


def server_paths_allowed() -> bool:
    """Whether this person may open a file on the server by its path: a signed-in lead; in the demonstration
    only the lead persona, and only when the server listens on this machine alone."""
    identity = current_identity()
    if identity is None or identity.role != LEAD:
        return False
    return identity.via != DEMONSTRATION or _loopback()


def pages_for(role: str, titles: list[str]) -> list[str]:
    """The page titles a role is shown, in the order given."""
    allowed = PAGES_BY_ROLE.get(role, set())
    return [t for t in titles if allowed is None or t in allowed]


state.identify_with(current_identity)  # the state's reads and writes act as this person (see app.state.identity)
