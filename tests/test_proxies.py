"""The proxy table loader (evaluator/proxies.py): a number means what it looks like (issue 14, hole 8)."""
from __future__ import annotations

import csv
import io

import pytest

from evaluator import EvaluatorError, InputErrors
from evaluator.proxies import load_proxies
from tests.conftest import RUBRICS

PROXIES = RUBRICS / "proxies" / "public_2025.csv"


def test_proxy_csv_decimal_comma_is_refused_and_thousands_are_read(tmp_path):
    text = PROXIES.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = next(csv.reader([text[1]]))
    i = header.index("value")
    row[i] = "25000,5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path = tmp_path / "p.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(EvaluatorError) as caught:
        load_proxies(path)
    assert "'25000,5'" in caught.value.line() and "decimal comma" in caught.value.line()
    row[i] = "25,000"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert load_proxies(path)["value"].iat[0] == 25000.0


@pytest.mark.parametrize("content", [
    "", "code,name,unit,value\nA,B,hour,ten\n", "code,name,unit,value,kind\nA,B,hour,10,impact\n",
    "code,name,unit,value,local_only\nA,B,hour,10,sometimes\n", "code,name,unit,value,low,high\nA,B,hour,10,12,8\n",
])
def test_a_bad_proxy_table_raises_evaluator_errors_naming_the_file(tmp_path, content):
    path = tmp_path / "p.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(EvaluatorError) as info:
        load_proxies(path)
    errors = info.value.errors if isinstance(info.value, InputErrors) else [info.value]
    assert errors and all("p.csv" in e.line() and "\n" not in e.line() for e in errors)
