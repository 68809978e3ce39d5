"""Where the files that ship with the tool are: proxy tables, the GDP deflator series, the design library.

Inside the installed package (pyproject.toml installs rubrics/ as evaluator/rubrics), else the repository's
rubrics/ beside the package. Name shipped files from here, never from Path(__file__).parents[1], which is
site-packages once the tool is installed with `pip install .`.
"""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve()
SHIPPED_RUBRICS = next((d for d in (_HERE.parent / "rubrics", _HERE.parents[1] / "rubrics") if (d / "proxies").is_dir()),
                       _HERE.parents[1] / "rubrics")
SHIPPED_PROXIES = SHIPPED_RUBRICS / "proxies"
