"""The panel (DESIGN.md section 10): who is acting, in which role, and what each role may do.

An evaluation decides who gets public money, so the record must say who did what and evaluators must score
independently. This module holds the vocabulary the workspace layer (workspace.py) enforces and the app and
command line use: an :class:`Identity` (a signed-in person, or a persona of the shipped demonstration), the
three roles, the actions a rule can refuse, and the two refusals. Passwords and the rules themselves live with
the data, in workspace.py, so no page, URL or second browser tab can get round them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .exceptions import EvaluatorError

LEAD, EVALUATOR, OBSERVER = "lead", "evaluator", "observer"
ROLES = (LEAD, EVALUATOR, OBSERVER)
ROLE_WORDS = {LEAD: "Procurement lead", EVALUATOR: "Evaluator", OBSERVER: "Observer (reads, changes nothing)"}

# How a person proved who they are.
PASSWORD, OPENID, DEMONSTRATION, COMMAND_LINE = "password", "openid", "demonstration", "command line"

MIN_PASSWORD_LENGTH = 12      # NCSC guidance favours long passphrases over complexity rules
FREE_ATTEMPTS = 4             # wrong passwords in a row before each further try must wait
MAX_WAIT_SECONDS = 300        # the longest wait between tries (the wait doubles from 5 s after FREE_ATTEMPTS)

# What a rule can refuse (Workspace.can(identity, action) -> None or the reason, in one line).
SEE_BIDS = "see the bids"                     # an evaluator must declare conflicts first
SCORE = "score"                               # own rows only; not with an unmitigated conflict; not once submitted
MODERATE = "record a consensus score"         # lead only
SUBMIT = "submit scoring"                     # evaluator, every criterion of every bid scored with a rationale
REOPEN = "reopen a submission"                # lead only
SEE_ALL_SCORES = "see every evaluator's scores"   # lead, observer; an evaluator once submitted
LOAD_FILES = "load or replace the tender's files"  # lead only, with confirmation
MANAGE_PANEL = "manage the panel"             # lead only (mitigations; user accounts are administered by CLI)
SERVER_PATHS = "open a file on the server"    # lead only
ACTIONS = (SEE_BIDS, SCORE, MODERATE, SUBMIT, REOPEN, SEE_ALL_SCORES, LOAD_FILES, MANAGE_PANEL, SERVER_PATHS)


@dataclass(frozen=True)
class Identity:
    """A person acting on a workspace. `user` is the workspace user name (and the `evaluator` name on their
    scores); `role` is what the workspace holds for that user (a demonstration persona carries its own, since a
    demonstration workspace has no users); `via` says how they proved it; for OpenID Connect, the provider's
    `subject` and `email` go into the audit log with the name."""
    user: str
    role: str
    via: str = PASSWORD
    subject: str = ""
    email: str = ""

    @property
    def actor(self) -> str:
        """The audit log's "who"."""
        if self.via == OPENID:
            return f"{self.user} (OpenID Connect subject {self.subject}, {self.email})"
        if self.via == DEMONSTRATION:
            return f"{self.user} (demonstration persona)"
        if self.via == COMMAND_LINE:
            return f"{self.user} (command line)"
        return self.user

    @property
    def is_lead(self) -> bool:
        return self.role == LEAD


def demonstration(user: str, role: str) -> Identity:
    """A persona of the shipped demonstration (a workspace with no users): anyone may pick one."""
    if role not in ROLES:
        raise NotAllowed(f"is not a role ({', '.join(ROLES)})", field="role", value=role)
    return Identity(user=str(user), role=role, via=DEMONSTRATION)


class NotAllowed(EvaluatorError):
    """A rule of the panel refused the action; one line saying which rule and what to do instead."""


class SignInRefused(EvaluatorError):
    """A sign-in that did not succeed: wrong user name or password (never saying which), or too many wrong
    tries in a row (`wait_seconds` until the next try is taken)."""

    def __init__(self, problem: str, *, wait_seconds: Optional[float] = None, **kw):
        self.wait_seconds = wait_seconds
        super().__init__(problem, **kw)
