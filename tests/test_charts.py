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
             "change", "kind", "message", "movement", "money", "running_money"}
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
