"""The Tender page per role (DESIGN.md section 10), driven by AppTest: loading or replacing the tender's files
and opening a workspace file by its server path are the lead's; an evaluator or an observer is offered
neither; the lead's upload that would replace the tender in use asks first, naming what is in use (its bids
and saved scores), and says the outcome under the button pressed."""
from __future__ import annotations

import pytest

from evaluator.panel import EVALUATOR, LEAD, OBSERVER
from tests.apptest import click, messages, ok, table, unescape, upload
from tests.conftest import tender_paths
from tests.every_page import Visit, read_page
from tests.panel_roles import demonstration, panel, signed_in

TENDER_UPLOADS = ("up_rubric", "up_proxies", "up_bids", "up_scores")
PAGE = "app_pages/tender.py"


def start(monkeypatch, role, **kw):
    """The demonstration's Tender page, `role`'s persona picked."""
    at = demonstration(monkeypatch, role, page=PAGE, **kw)
    ok(at)
    return at


def page_order(at) -> list[str]:
    """Every element of the page in the order drawn, as "type: label or text"."""
    def walk(node):
        kids = getattr(node, "children", None)
        if kids:
            for k in sorted(kids):
                yield from walk(kids[k])
        else:
            yield node
    out = []
    for e in walk(at.main):
        text = getattr(e, "label", None) or getattr(e, "value", "")
        out.append(f"{e.type}: {unescape(str(text))}")
    return out


def under_the_upload_button(at, start: str) -> bool:
    """An element starting `start` comes after the upload button and before the next section."""
    order = page_order(at)
    button = order.index("button: Load the uploaded files")
    found = [i for i, e in enumerate(order) if e.startswith(start)]
    after = [i for i, e in enumerate(order) if e in ("subheader: Saved evaluations", "subheader: What is loaded")]
    return bool(found) and button < found[0] < min(after)


def keys(at, kind: str) -> set:
    return {w.key for w in getattr(at, kind)}


def _has_uploader(at, key: str) -> bool:
    try:
        at.file_uploader(key=key)
        return True
    except KeyError:
        return False


def load_schools_fm(at) -> None:
    """Upload the schools FM sample's rubric and bids on the Tender page and press Load (it then asks to confirm)."""
    rubric, bids, _ = tender_paths("schools_fm")
    upload(at, "up_rubric", rubric)
    upload(at, "up_bids", sorted(p for p in bids.iterdir() if p.suffix in (".yaml", ".json", ".xlsx")))
    click(at, "Load the uploaded").run()


@pytest.mark.parametrize("who", [EVALUATOR, OBSERVER])
def test_no_upload_of_tender_files_and_no_server_path_for_anyone_but_the_lead(monkeypatch, who):
    at = start(monkeypatch, who)
    assert not any(_has_uploader(at, k) for k in TENDER_UPLOADS)
    assert "ws_path" not in keys(at, "text_input") and "ws_saved" not in keys(at, "selectbox")
    assert not [b for b in at.button if b.label in ("Load the uploaded files", "Open the workspace file")]
    assert "Saved evaluations" not in [s.value for s in at.subheader]
    page = " ".join(m.value for kind in ("caption", "markdown", "info", "warning") for m in getattr(at, kind))
    assert "social_value_home" not in page  # no folder of the server is shown, only the workspace's file name
    assert any("procurement lead" in m for m in messages(at, "info"))
    assert "Open this sample" in [b.label for b in at.button]  # the demonstration's samples stay for everyone


def test_the_lead_is_offered_each(monkeypatch):
    at = start(monkeypatch, LEAD)
    assert all(_has_uploader(at, k) for k in TENDER_UPLOADS)
    assert "ws_path" in keys(at, "text_input")
    assert "Saved evaluations" in [s.value for s in at.subheader]


def test_the_lead_confirms_a_replacement_named_first_then_sees_the_outcome_under_the_button(monkeypatch):
    at = start(monkeypatch, LEAD)
    before = at.sidebar.text[0].value
    assert "HC-2026-014" in before
    load_schools_fm(at)
    ok(at)
    asked = " ".join(messages(at, "warning"))
    assert "This replaces the tender in use, HC-2026-014" in asked
    assert "(6 bid(s), 47 saved score(s) from 3 evaluator(s))" in asked and "FM-2026-031" in asked
    assert "Nothing is deleted" in asked
    assert "its scores stay in its workspace HC-2026-014, to reopen later" in asked and ".sqlite" not in asked
    assert under_the_upload_button(at, "warning: This replaces the tender in use")
    assert at.sidebar.text[0].value == before  # nothing in use has changed yet
    assert not [m for m in messages(at, "success") if "workspace" in m]

    click(at, "Confirm").run()
    ok(at)
    assert "FM-2026-031" in at.sidebar.text[0].value
    done = " ".join(messages(at, "success"))
    assert "Saved in the workspace" in done
    assert under_the_upload_button(at, "success: Saved in the workspace")
    assert not [b for b in at.button if b.label == "Confirm"]


def test_a_cancelled_replacement_changes_nothing(monkeypatch):
    at = start(monkeypatch, LEAD)
    before = at.sidebar.text[0].value
    load_schools_fm(at)
    click(at, "Cancel").run()
    ok(at)
    assert at.sidebar.text[0].value == before
    assert any("Cancelled: nothing was loaded" in m for m in messages(at, "info"))


def test_a_scores_file_alone_asks_first_saying_saved_scores_it_lacks_are_deleted(monkeypatch):
    at = start(monkeypatch, LEAD)
    _, _, scores = tender_paths("home_care_north")
    lines = scores.read_text("utf-8").splitlines()
    upload(at, "up_scores", ("scores.csv", ("\n".join(lines[:5]) + "\n").encode(), "text/csv"))
    click(at, "Load the uploaded").run()
    ok(at)
    asked = " ".join(messages(at, "warning"))
    assert "replaces the scores of the tender in use, HC-2026-014" in asked and "with the 4 score(s) uploaded" in asked
    assert "deleted" in asked


def test_a_demonstration_served_on_a_network_names_no_server_path_even_to_the_lead(monkeypatch):
    import os
    at = start(monkeypatch, LEAD, loopback=False)
    assert "ws_path" not in keys(at, "text_input") and "Saved evaluations" not in [s.value for s in at.subheader]
    load_schools_fm(at)  # uploads keep working, each its own workspace
    click(at, "Confirm").run()
    ok(at)
    done = " ".join(messages(at, "success"))
    assert "Saved in the workspace FM-2026-031-" in done and "FM-2026-031" in at.sidebar.text[0].value
    page = " ".join(unescape(str(e.value)) for kind in ("success", "caption", "warning", "info")
                    for e in getattr(at, kind))
    assert os.environ["SOCIAL_VALUE_HOME"] not in page  # the server's folder is never shown


def offences(at) -> list:
    """Everything on the page that breaks the rules of tests/page_text.py (None, snake_case, a server path...)."""
    visit = Visit("", "", "Tender")
    read_page(at, visit)
    assert visit.tables and visit.texts
    return visit.offences + [("exception", e) for e in visit.exceptions]


def test_the_leads_tender_page_reads_in_words_with_no_server_path_or_command(monkeypatch):
    """Issue 19: the saved evaluations are named by tender and workspace name (never .../home/...sqlite), the
    caption says in words how a workspace made elsewhere is opened (no `python -m evaluator ...`), and every
    table is in words (price in £, the consensus as words, dates as people write them)."""
    import os
    at = start(monkeypatch, LEAD)
    load_schools_fm(at)
    click(at, "Confirm").run()
    ok(at)
    assert offences(at) == []
    captions = " ".join(unescape(c.value) for c in at.caption)
    assert "by the tool's command line, say) by typing where it is on this server" in captions
    assert "python -m" not in captions and os.environ["SOCIAL_VALUE_HOME"] not in captions
    assert "Scores are saved in the workspace FM-2026-031-" in captions and ".sqlite" not in captions
    saved = table(at, {"Tender", "Title", "Workspace", "Last change"})
    assert {"HC-2026-014", "FM-2026-031"} <= set(saved["Tender"])
    assert saved["Last change"].str.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d").all()
    choice = at.selectbox(key="ws_saved")
    assert all(".sqlite" not in choice.format_func(o) and "/" not in choice.format_func(o) for o in choice.options)
    at.selectbox(key="sample_choice").set_value("home_care_north")
    click(at, "Open this sample").run()
    ok(at)
    assert any(m.startswith("Opened the shipped sample: HC-2026-014") for m in messages(at, "success"))
    scores = table(at, {"Evaluator", "Scores"}).set_index("Evaluator")
    assert scores.loc["Panel consensus (moderated)", "Scores"] == "11" and "MODERATED" not in scores.index
    assert table(at, {"Bidder", "Price"}).set_index("Bidder").loc["Apex Care Group Ltd", "Price"] == "£4,395,000"
    assert offences(at) == []


# ------------------------------------------------------------------------ a panel's workspace (--workspace F)

@pytest.fixture
def served(tmp_path):
    return panel(tmp_path / "panel.sqlite")


@pytest.mark.parametrize("role", [EVALUATOR, OBSERVER])
def test_on_a_panel_only_the_lead_loads_files_or_names_a_server_path(monkeypatch, served, role):
    at = signed_in(monkeypatch, served, role, page=PAGE)
    ok(at)
    assert not any(_has_uploader(at, k) for k in TENDER_UPLOADS)
    assert "ws_path" not in keys(at, "text_input") and "Saved evaluations" not in [s.value for s in at.subheader]
    assert "Open this sample" not in [b.label for b in at.button]
    assert any("procurement lead" in m for m in messages(at, "info"))
    assert str(served.path.parent) not in " ".join(unescape(c.value) for c in at.caption)


def test_the_panels_lead_replaces_a_bid_after_confirming_the_engines_summary(monkeypatch, served):
    """The lead uploads a corrected bid: the engine's summary of the change (and the saved scores it concerns,
    which are kept) is shown under the button, nothing is written until Confirm, then the outcome is there."""
    from tests.conftest import SAMPLES
    at = signed_in(monkeypatch, served, LEAD, page=PAGE)
    ok(at)
    assert all(_has_uploader(at, k) for k in ("up_rubric", "up_proxies", "up_bids"))
    assert not _has_uploader(at, "up_scores")  # each evaluator enters their own scores, under their own name
    # the server serves this one workspace (app.access keeps it the tender in use): no other file is opened
    assert "ws_path" not in keys(at, "text_input") and "Saved evaluations" not in [s.value for s in at.subheader]
    before = served.files().set_index("path")["sha256"]
    saved = len(served.scores())
    apex = (SAMPLES / "home_care_north" / "apex_care_group.yaml").read_text("utf-8")
    corrected = apex.replace("price: 4395000", "price: 4385000").encode("utf-8")
    upload(at, "up_bids", [("apex_care_group.yaml", corrected, "text/yaml")])
    click(at, "Load the uploaded").run()
    ok(at)
    asked = " ".join(messages(at, "warning"))
    assert asked.startswith("Would replace apex_care_group.yaml;") and "saved score(s) concern a replaced bid" in asked
    assert under_the_upload_button(at, "warning: Would replace apex_care_group.yaml")
    assert served.files().set_index("path")["sha256"].equals(before)  # nothing written yet

    click(at, "Confirm").run()
    ok(at)
    done = " ".join(messages(at, "success"))
    assert "Done: Would replace" not in done and "apex_care_group.yaml" in done
    assert under_the_upload_button(at, "success: Done:")
    after = served.files().set_index("path")["sha256"]
    assert after["bids/apex_care_group.yaml"] != before["bids/apex_care_group.yaml"]
    assert len(served.scores()) == saved  # never discards scores
    log = served.audit_log()
    changed = log[log["action"].eq("replace_file") & log["key"].astype(str).str.contains("apex_care_group.yaml")]
    assert len(changed) and set(changed["actor"]) == {"Alex Lead"}  # the audit's "who" is the signed-in lead
    bids = table(at, {"Bidder", "Price"}).set_index("Bidder")
    assert bids.loc["Apex Care Group Ltd", "Price"] == "£4,385,000"


def test_a_refused_upload_on_a_panel_is_one_line_under_the_button(monkeypatch, served):
    at = signed_in(monkeypatch, served, LEAD, page=PAGE)
    upload(at, "up_bids", [("apex_care_group.yaml", b"bidder: [unclosed\n", "text/yaml")])
    click(at, "Load the uploaded").run()
    ok(at)
    assert under_the_upload_button(at, "error: Nothing was loaded")
    assert not [b for b in at.button if b.label == "Confirm"]
