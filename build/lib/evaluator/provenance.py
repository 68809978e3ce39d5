"""Provenance: every file a result depends on, with its SHA-256, and the settings it was computed with as
canonical JSON, so that anyone can show the same inputs give the same result (printed in the evaluation
report's appendix)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd


@dataclass
class Inputs:
    """What the report needs beyond the Evaluation to say how the result can be reproduced."""

    scores_path: Optional[Path] = None
    options: dict = field(default_factory=dict)   # the run's options (e.g. skip_invalid), part of the settings
    workspace: Optional[dict] = None   # a workspace's head (file, entries, head_hash, head, chain), when read from one


def input_files(ev, inputs: Optional[Inputs] = None) -> list[tuple[str, Path]]:
    """(role, path) of every file the result depends on: rubric, proxy table, each bid file, scores."""
    inputs = inputs or Inputs()
    out: list[tuple[str, Path]] = [("rubric", Path(ev.rubric.path))]
    if ev.rubric.proxies_path is not None:
        out.append(("proxy table", Path(ev.rubric.proxies_path)))
    seen = set()
    files = []
    for frame in (ev.bidset.bids, ev.bidset.commitments, ev.bidset.responses):
        if "_file" in frame.columns and len(frame):
            files += [f for f in pd.unique(frame["_file"].astype(object)) if isinstance(f, str)]
    for f in files:
        if f not in seen:
            seen.add(f)
            out.append(("bid", Path(f)))
    for s in ev.bidset.skipped:
        if s.get("file") and s["file"] not in seen:
            seen.add(s["file"])
            out.append(("bid (skipped: problems)", Path(s["file"])))
    if inputs.scores_path is not None:
        out.append(("evaluator scores", Path(inputs.scores_path)))
    return out


def sha256_file(path: Path) -> Optional[str]:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def fingerprints(ev, inputs: Optional[Inputs] = None) -> pd.DataFrame:
    rows = []
    for role, path in input_files(ev, inputs):
        digest = sha256_file(path)
        rows.append({"role": role, "file": str(path), "bytes": path.stat().st_size if digest else None,
                     "sha256": digest or "file not available when the report was made"})
    return pd.DataFrame(rows, columns=["role", "file", "bytes", "sha256"])


def settings_json(ev, inputs: Optional[Inputs] = None) -> str:
    """The settings the result was computed with, defaults filled in, as canonical JSON: the rubric as the
    engine read it, the proxy table used, and the run's options. Printed in the appendix with its SHA-256,
    so anyone can recompute the fingerprint from the text."""
    inputs = inputs or Inputs()
    doc = {
        "rubric": ev.rubric.spec.settings(),
        "proxy_table": Path(ev.rubric.proxies_path).name if ev.rubric.proxies_path else None,
        "official_lens": ev.rubric.official_lens,
        "options": {k: inputs.options[k] for k in sorted(inputs.options)},
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=str)
