"""Chart builders (evaluator/charts.py): pure functions, so tested on their Vega-Lite output, no browser.

Names with ':', '.', quotes, brackets and backslashes are the awkward cases for altair (its shorthand reads
'a:Q' as a field and a type, and 'a.b' as a nested field): they must stay plain values in the data."""
from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from evaluator import charts

AWKWARD = ['Smith: "Care" Ltd.', "O'Brien & Sons (N.E.) Ltd", "a.b.c", "Q1:Q", "back\\slash [x]", "Ünïcode — £"]


def _data(chart: alt.TopLevelMixin) -> list[dict]:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    json.dumps(spec)
    rows = []
    for values in spec.get("datasets", {}).values():
        rows.extend(values)
    return rows


def _fields(spec) -> set[str]:
    """Every field name an encoding refers to, anywhere in the spec."""
    found = set()
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == "field" and isinstance(v, str):
                found.add(v)
            else:
                found |= _fields(v)
    elif isinstance(spec, list):
        for v in spec:
            found |= _fields(v)
    return found


def test_sample_charts_carry_the_engine_numbers(ev):
    r = ev.results
    rows = _data(charts.claimed_vs_credited(r))
    claimed = {d["bidder"]: d["amount"] for d in rows if d["value"] == "Claimed £"}
    credited = {d["bidder"]: d["amount"] for d in rows if d["value"] == "Credited £"}
    assert claimed == pytest.approx(dict(zip(r["bidder"], r["claimed_value"])))
    assert credited == pytest.approx(dict(zip(r["bidder"], r["credited_value"])))

    rows = _data(charts.rank_moves(r, ev.official_lens))
    ranked = r.dropna(subset=["figures_rank"])
    assert len(rows) == 2 * len(ranked)  # a point per lens per ranked bid; disqualified bids are not drawn
    by = {(d["bidder"], d["lens"]): d["rank"] for d in rows}
    for b, f, d in zip(ranked["bidder"], ranked["figures_rank"], ranked["design_rank"]):
        assert by[(b, "Figures lens")] == f and by[(b, "Design lens")] == d

    att = _data(charts.attainment(ev.attainment))
    assert len(att) == len(ev.attainment)
    got = {(d["bidder"], d["outcome"]): d["percent"] for d in att}
    for b, o, a in ev.attainment[["bidder", "outcome", "attainment"]].itertuples(index=False):
        assert got[(b, o)] == pytest.approx(a, nan_ok=True) if a == a else got[(b, o)] is None

    marks = _data(charts.marks(r))
    total = {}
    for d in marks:
        total[d["bidder"]] = total.get(d["bidder"], 0) + d["marks"]
    assert total == pytest.approx(dict(zip(r["bidder"], r["total"])))


def test_walk_is_a_waterfall_from_claimed_to_credited(ev):
    bidder = ev.results["bidder"].iat[0]
    walk = ev.explain(bidder)["walk"]
    rows = sorted(_data(charts.walk(walk)), key=lambda d: d["order"])
    assert rows[0]["start"] == 0 and rows[0]["end"] == pytest.approx(walk["amount"].iat[0])
    for prev, cur in zip(rows, rows[1:-1]):  # each step starts where the last one ended
        assert cur["start"] == pytest.approx(prev["end"])
    assert rows[-1]["kind"] == "Total" and rows[-1]["start"] == 0
    assert rows[-1]["end"] == pytest.approx(float(ev.results.set_index("bidder").loc[bidder, "credited_value"]))
    assert [d["step"] for d in rows] == walk["step"].tolist()


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_names_stay_values(ev, name):
    r = ev.results.copy()
    r.loc[r.index[0], "bidder"] = name
    att = ev.attainment.copy()
    att.loc[att["bidder"] == ev.results["bidder"].iat[0], "bidder"] = name
    att["name"] = att["name"].astype(object)
    att.loc[att.index[0], "name"] = name
    walk = ev.explain(ev.results["bidder"].iat[0])["walk"].copy()
    walk.loc[0, "step"] = name
    built = [charts.rank_moves(r), charts.claimed_vs_credited(r), charts.attainment(att), charts.marks(r),
             charts.walk(walk)]
    fixed = {"bidder", "lens", "order", "rank", "move", "official", "value", "amount", "outcome", "outcome_label",
             "name", "unit", "target", "net_quantity", "percent", "label", "part", "marks", "step", "start", "end",
             "change", "kind", "message", "movement", "money", "running_money", "row", "cell"}
    for chart in built:
        spec = chart.to_dict()
        assert _fields(spec) <= fixed  # names never become field names
        values = {v for row in _data(chart) for v in row.values() if isinstance(v, str)}
        assert name in values  # and survive intact as data
        json.dumps(spec)


def test_empty_inputs_give_a_message_not_an_error():
    empty = pd.DataFrame(columns=["bidder", "figures_rank", "design_rank", "claimed_value", "credited_value",
                                  "price_score", "quality_score", "social_value_score"])
    for chart in (charts.rank_moves(empty), charts.claimed_vs_credited(empty), charts.marks(empty),
                  charts.attainment(pd.DataFrame(columns=["bidder", "outcome", "name", "unit", "target",
                                                          "net_quantity", "attainment"])),
                  charts.walk(pd.DataFrame(columns=["step", "amount", "running_total"]))):
        rows = _data(chart)
        assert len(rows) == 1 and "message" in rows[0]


def test_no_target_is_labelled_not_coloured_as_zero(ev):
    att = ev.attainment.copy()
    att["attainment"] = att["attainment"].astype(float)
    att.loc[att.index[0], "attainment"] = np.nan
    rows = _data(charts.attainment(att))
    first = [d for d in rows if d["bidder"] == att["bidder"].iat[0] and d["outcome"] == att["outcome"].iat[0]][0]
    assert first["percent"] is None and first["label"] == "no target"


def test_charts_module_has_no_streamlit():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(charts))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in (n.names if isinstance(n, ast.Import) else [ast.alias(n.module or "")])}
    assert "streamlit" not in imported


def test_rank_moves_uses_a_log_scale_only_for_a_spread_field(ev):
    r = ev.results
    assert _scale_type(charts.rank_moves(r)) != "log"
    wide = r.assign(figures_rank=r["figures_rank"] * 100)
    assert _scale_type(charts.rank_moves(wide)) == "log"


def _scale_type(chart) -> str | None:
    spec = chart.to_dict()
    return spec["layer"][0]["encoding"]["y"]["scale"].get("type")


def test_price_per_quality_point_chart_puts_the_lowest_first_and_marks_drop_price():
    res = pd.DataFrame({"bidder": ["Dear Ltd", "Cheap Ltd", "Out Ltd"], "eligible": [True, True, False],
                        "price": [900000.0, 600000.0, 100.0], "quality_points": [80.0, 60.0, 10.0],
                        "price_score": [0.0, 0.0, 0.0], "quality_score": [60.0, 45.0, 8.0],
                        "social_value_score": [20.0, 15.0, 2.0]})
    res["price_per_point"] = res["price"] / res["quality_points"]
    spec = charts.price_per_point(res).to_dict()
    rows = _data(charts.price_per_point(res))
    assert [r["bidder"] for r in rows] == ["Cheap Ltd", "Dear Ltd"]          # ascending; the ineligible left out
    assert rows[0]["per_point"] == 10000.0 and rows[1]["per_point"] == 11250.0
    assert spec["encoding"]["y"]["sort"] == ["Cheap Ltd", "Dear Ltd"]
    parts = {r["part"] for r in _data(charts.marks(res))}
    assert parts == {"Quality", "Social value"}                              # price earns no marks
    assert charts.marks(res).to_dict()["title"] == "Quality points under the official lens"


# ---- readable at a desk and on a phone: what a commissioner would notice, read from the specs ----

LONG = "Northtown Community Care Interest Co Ltd"   # 40 characters: a real co-operative's name is often longer


def _axes(spec, channel="y"):
    """Every (encoding, axis) pair on `channel`, anywhere in a (layered) spec."""
    found = []
    if isinstance(spec, dict):
        enc = spec.get("encoding", {})
        if channel in enc:
            found.append((enc[channel], enc[channel].get("axis") or {}))
        for v in spec.values():
            found += _axes(v, channel)
    elif isinstance(spec, list):
        for v in spec:
            found += _axes(v, channel)
    return found


def _tooltip_fields(spec) -> set[str]:
    out = set()
    if isinstance(spec, dict):
        tips = spec.get("encoding", {}).get("tooltip", []) or []
        for t in [tips] if isinstance(tips, dict) else tips:
            out.add(t.get("field"))
        for v in spec.values():
            out |= _tooltip_fields(v)
    elif isinstance(spec, list):
        for v in spec:
            out |= _tooltip_fields(v)
    return out


def _titles(spec) -> list[str]:
    """Every title a reader sees: the chart's, each axis's, legend's and tooltip's."""
    out = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == "title" and isinstance(v, str):
                out.append(v)
            elif k == "title" and isinstance(v, dict):
                out += [t for t in ([v.get("text")] if isinstance(v.get("text"), str) else v.get("text") or [])]
            else:
                out += _titles(v)
    elif isinstance(spec, list):
        for v in spec:
            out += _titles(v)
    return out


def _with_long_name(ev):
    r = ev.results.copy()
    old = r["bidder"].iat[0]
    r.loc[r.index[0], "bidder"] = LONG
    att = ev.attainment.copy()
    att["bidder"] = att["bidder"].astype(object).where(att["bidder"] != old, LONG)
    return r, att


def test_every_name_axis_fits_its_longest_name_or_the_tooltip_has_it(ev):
    """A name beside its bars wraps onto lines (a phone keeps room for the bars); every line fits the axis's
    label limit, so no name is cut, and the tooltip carries it whole."""
    r, att = _with_long_name(ev)
    assert charts.label_px([LONG]) > 260  # longer than the old fixed limit, so the check means something
    built = [charts.claimed_vs_credited(r), charts.marks(r), charts.attainment(att)]
    for chart in built:
        spec = chart.to_dict()
        y, axis = _axes(spec)[0]
        assert y["field"] == "row" and "split" in axis["labelExpr"] and axis["labelOverlap"] is False
        rows = {d["row"] for d in _data(chart)}
        assert any(x.replace("\n", " ") == LONG for x in rows)
        assert all(charts.label_px([line]) <= axis["labelLimit"] for x in rows for line in x.split("\n"))
        assert axis["labelLimit"] <= 200                       # and leaves a phone's width for the bars
        assert "bidder" in _tooltip_fields(spec)


def test_rank_slope_labels_every_rank_and_every_name_and_grows_with_the_field(ev):
    r, _ = _with_long_name(ev)
    spec = charts.rank_moves(r, ev.official_lens).to_dict()
    ranked = r.dropna(subset=["figures_rank", "design_rank"])
    top = int(max(ranked["figures_rank"].max(), ranked["design_rank"].max()))
    y = spec["layer"][0]["encoding"]["y"]
    assert y["scale"]["domain"] == [float(k) for k in range(1, top + 1)]   # every rank on the axis
    assert spec["height"] == {"step": 34}                                 # a row per rank: grows with the field
    text = spec["layer"][1]
    assert text["mark"]["limit"] >= charts.label_px([f"{top}  {LONG} (down 9)"]) or text["mark"]["limit"] == 240
    labels = [d["label"] for d in _data(charts.rank_moves(r, ev.official_lens)) if d["order"] == 1]
    assert len(labels) == len(ranked) and any(LONG in x for x in labels)   # every line ends in its name


def test_sensitivity_disqualified_has_its_own_colour_apart_from_every_rank():
    from types import SimpleNamespace
    for n in (3, 6, 10, 14):
        bidders = [f"Bid {i}" for i in range(n)]
        probs = np.full((n, n), 1.0 / n)
        s = SimpleNamespace(bidders=bidders, rank_probabilities=probs, disqualified=np.zeros(n),
                            table=lambda b=bidders: pd.DataFrame({"bidder": b, "win_probability": 0.1,
                                                                  "published_total": 1.0}))
        colour = charts.rank_chances(s).to_dict()["encoding"]["color"]
        domain, rng = colour["scale"]["domain"], colour["scale"]["range"]
        assert domain[-1].startswith("Disqualified") and len(rng) == len(domain) == n + 1

        def rgb(h):
            return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
        grey = rgb(rng[-1])
        for c in rng[:-1]:
            assert np.abs(rgb(c) - grey).max() > 60, (n, c)   # never a near-grey rank beside "Disqualified"
        assert len(set(rng)) == len(rng)                     # and no two ranks share a colour
        if n <= len(charts.RANK_COLOURS):
            for i, a in enumerate(rng[:-1]):                 # neighbouring ranks far apart (not shades of blue)
                for b in rng[i + 1:-1]:
                    assert np.abs(rgb(a) - rgb(b)).sum() > 90, (a, b)


def test_no_chart_title_is_a_field_name_and_money_reads_as_pounds(ev):
    import re
    r = ev.results
    bidder = r["bidder"].iat[0]
    built = [charts.rank_moves(r, ev.official_lens), charts.claimed_vs_credited(r), charts.attainment(ev.attainment),
             charts.marks(r), charts.walk(ev.explain(bidder)["walk"])]
    for chart in built:
        spec = chart.to_dict()
        for t in _titles(spec):
            assert not re.search(r"[a-z]_[a-z]", t), t          # no snake_case a reader would see
    for chart in built[1], built[4]:                           # money axes say £ with separators
        spec = chart.to_dict()
        money = [a for _, a in _axes(spec, "x") if a]
        assert money and all("£" in a.get("labelExpr", "") and "," in a["labelExpr"] for a in money)
    cvc = _data(charts.claimed_vs_credited(r))
    assert all(d["money"].startswith(("£", "−£")) and "," in d["money"] or abs(d["amount"]) < 1000 for d in cvc)


def test_walk_draws_its_bars_across_the_whole_width_with_the_names_above(ev):
    """A phone drew the step names and no bars: the names are now text over the bars, the axis has none."""
    spec = charts.walk(ev.explain(ev.results["bidder"].iat[0])["walk"]).to_dict()
    bars, text = spec["layer"]
    assert bars["encoding"]["y"]["axis"] is None                # no name axis eating the width
    assert text["mark"]["type"] == "text" and text["mark"]["lineBreak"] == "\n"
    for d in _data(charts.walk(ev.explain(ev.results["bidder"].iat[0])["walk"])):
        assert max(len(line) for line in d["label"].split("\n")) <= charts.WALK_WRAP


def test_attainment_has_no_legend_to_clip_and_every_cell_says_its_percentage(ev):
    spec = charts.attainment(ev.attainment).to_dict()
    assert spec["layer"][0]["encoding"]["color"]["legend"] is None
    assert all(d["label"] == "no target" or d["label"].endswith("%") for d in _data(charts.attainment(ev.attainment)))


def test_review_charts_count_in_whole_numbers_label_every_bar_and_speak_in_words():
    from evaluator.review import review_paths
    from evaluator.review_output import portfolio_charts
    from tests.conftest import RUBRICS
    summary = review_paths(sorted(RUBRICS.glob("*.yaml"))).summary
    summary = {**summary, "design_gaps": summary["design_gaps"] + [
        {"code": f"SV9{i}", "name": "a-gap-with-a-long-name-" + "x" * i, "tenders": 1, "lots": 1} for i in range(4)],
        "buyers": summary["buyers"][:1]}                        # one buyer: the chart that was 50 px, one tick
    built = portfolio_charts(summary)
    for key, chart in built.items():
        spec = chart.to_dict()
        assert isinstance(spec["height"], dict) and "step" in spec["height"], key   # a row per bar, never squashed
        counts = [(e, a) for ch in ("x", "y") for e, a in _axes(spec, ch) if e["type"] == "quantitative"]
        assert counts and all(a.get("format") == "d" and a.get("tickMinStep") == 1 for _, a in counts), key
        for t in _titles(spec):
            assert "_" not in t and t.lower() not in {"true", "false"}, (key, t)
        for row in _data(chart):
            assert not any(isinstance(v, bool) for v in row.values()), key      # no false/true legend
    weight = built["weight"].to_dict()
    assert set(weight["encoding"]["color"]["scale"]["domain"]) == {"Meets the 10% minimum", "Below the 10% minimum"}
    gaps = built["gaps"].to_dict()
    labels = [d["gap"] for d in _data(built["gaps"])]
    assert len(labels) == min(10, len(summary["design_gaps"])) >= 6
    axis = _axes(gaps)[0][1]
    assert axis["labelOverlap"] is False and axis["labelLimit"] >= charts.label_px(labels)   # every bar labelled
    assert all("-" not in x.split(" (")[0] for x in labels)                              # in words, code after


def test_pdf_charts_print_every_name_whole_when_it_fits_the_page():
    """The report's charts cut names at 30-34 characters ("Ashby & District Property Maintenance..."): now a
    name is cut only when it would not fit two-fifths of the page."""
    from reportlab.graphics.shapes import String

    from evaluator import pdf_charts
    from evaluator.pdf_kit import Kit
    k = Kit()
    names = ["Ashby & District Property Maintenance Ltd", "Kingsford Mechanical & Electrical Ltd", "Short Ltd"]
    r = pd.DataFrame({"bidder": names, "figures_rank": [1, 2, 3], "design_rank": [3, 1, 2],
                      "claimed_value": [1e6, 2e6, 3e5], "credited_value": [5e5, 1e6, 1e5]})

    def strings(node):
        out = [node.text] if isinstance(node, String) else []
        for child in getattr(node, "contents", []) or []:
            out += strings(child)
        return out
    drawn = " | ".join(strings(pdf_charts.ranks_chart(k, r)))
    assert all(n in drawn for n in names) and "…" not in drawn
    bars = pdf_charts.claimed_credited_chart(k, r)
    axis_names = [c for c in bars.contents if hasattr(c, "categoryAxis")][0].categoryAxis.categoryNames
    assert sorted(axis_names) == sorted(names)
    huge = r.assign(bidder=["W" * 120] + names[1:])
    assert any(s.endswith("…") for s in strings(pdf_charts.ranks_chart(k, huge)))   # cut only when it must be


def test_delivery_chart_shows_every_outcome_on_a_phone_named_in_words():
    """Two columns of 260 px put half the outcomes off a phone's screen; units read 'fte_year'."""
    from evaluator import load_bids, load_rubric
    from evaluator.delivery import delivery_chart, track
    from tests.conftest import RUBRICS, SAMPLES
    r = load_rubric(RUBRICS / "home_care_north.yaml")
    tr = track(r, load_bids(SAMPLES / "home_care_north", r).require_valid(), SAMPLES / "home_care_north" / "delivery.csv")
    holder = tr.by_period["bidder"].iat[0]
    chart = delivery_chart(tr.by_period, holder)
    spec = chart.to_dict()
    assert spec.get("columns") == 1 and spec["spec"]["width"] <= 300          # fits 390 px, one under another
    rows = _data(chart)
    assert {d["series"] for d in rows} == {"Promised", "Delivered"}
    outcomes = {d["outcome"] for d in rows}
    assert len(outcomes) == tr.by_period[tr.by_period["bidder"] == holder]["outcome"].nunique()
    for o in outcomes:
        assert "_" not in o and all(len(line) <= 48 for line in o.split("\n")), o
    assert "split" in spec["facet"]["header"]["labelExpr"]


def test_share_and_marks_axes_fit_a_phone_with_two_line_names_apart():
    """On a phone the share axis wrote "80%100%" and two-line names touched: five ticks (0% to 100%), the last
    label kept inside the plot, and a row tall enough for a name on two lines."""
    from types import SimpleNamespace
    bidders = ["Brackenford Fresh Kitchens Ltd", "Nationwide Education Catering plc", "Apex"]
    table = pd.DataFrame({"bidder": bidders, "win_probability": [0.9, 0.1, 0.0], "published_total": [80.0, 70, 60]})
    s = SimpleNamespace(bidders=bidders, rank_probabilities=np.full((3, 3), 1 / 3), disqualified=np.zeros(3),
                        table=lambda: table)
    for chart in (charts.win_shares(table), charts.rank_chances(s)):
        spec = chart.to_dict()
        axis = spec["encoding"]["x"]["axis"]
        assert axis["format"] == "%" and axis["values"] == [0, 0.25, 0.5, 0.75, 1] and axis["labelFlush"] is True
        assert spec["height"]["step"] >= 32                     # two lines of 11 px text and a gap
    results = pd.DataFrame({"bidder": bidders, "price_score": [30.0, 20, 10], "quality_score": [20.0, 20, 20],
                            "social_value_score": [10.0, 5, 1]})
    assert charts.marks(results).to_dict()["encoding"]["x"]["axis"]["values"] == [0, 25, 50, 75, 100]  # not 21 ticks
    short = pd.DataFrame({"bidder": ["A", "B"], "win_probability": [1.0, 0.0], "published_total": [1.0, 0.0]})
    assert charts.win_shares(short).to_dict()["height"]["step"] == 28   # one-line names keep the compact row
