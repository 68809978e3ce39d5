"""Money as people in UK procurement read it (GBP with thousands separators), for every report and screen."""
from __future__ import annotations

import math


def gbp(value: float | None, decimals: int = 0) -> str:
    """£1,234,567 the way a commissioner writes it; '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and any(ch in "123456789" for ch in text) else ""   # rounding noise is £0, not -£0
    return f"{sign}£{text}"



def money(value: float | None) -> str:
    """£ with separators, keeping pence where the value has them (£1.76, £19.97, £22,368); '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return gbp(value, 0 if abs(round(value, 2) - round(value)) < 0.005 else 2)


# unit codes of the proxy tables (rubrics/proxies/*.csv) in words: (one, many)
_UNITS = {"fte_year": ("FTE-year", "FTE-years"), "apprentice_year": ("apprentice-year", "apprentice-years"),
          "hour": ("hour", "hours"), "wellby": ("WELLBY", "WELLBYs"), "incident": ("incident", "incidents"),
          "tco2e": ("tonne of CO2e", "tonnes of CO2e"), "gbp": ("£", "£")}


def unit_words(code, plural: bool = True) -> str:
    """A unit code in words: fte_year -> 'FTE-years' ('FTE-year' with plural=False), gbp -> '£'; an unknown
    code with its underscores as spaces; nothing for nothing."""
    if code is None or code != code or str(code).strip() == "":
        return ""
    text = str(code).strip()
    words = _UNITS.get(text.lower())
    return words[1 if plural else 0] if words else text.replace("_", " ")


def per_unit(code) -> str:
    """'per FTE-year', 'per £ spent', 'per tonne of CO2e'; nothing for nothing."""
    words = unit_words(code, plural=False)
    return "" if not words else "per £ spent" if words == "£" else f"per {words}"


def figure(v, rate: bool = False) -> str:
    """A quantity with separators: four significant figures under 10,000 (7,800, 2.5, 66.67), whole above;
    a rate (per £1m) three under 100 (7.5, 66.7, 8.33) and whole from 100 (1,080); '?' for nothing."""
    if v is None or v != v:
        return "?"
    if rate:
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def amount(quantity, code, rate: bool = False) -> str:
    """A quantity in its unit: '7,800 hours', '1 FTE-year', '£100,000' (spend), '2.5 WELLBYs'."""
    if quantity is None or quantity != quantity:
        return "?"
    if unit_words(code) == "£":
        return "£" + figure(quantity, rate) if rate else money(quantity)
    text = figure(float(quantity), rate)
    return f"{text} {unit_words(code, plural=text != '1')}".strip()
