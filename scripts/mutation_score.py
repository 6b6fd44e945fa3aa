"""Mutation score per module, from the results `mutmut run` left in mutants/.

Usage: ``python scripts/mutation_score.py [--min 90]`` (``make mutate`` runs it after mutmut).

A mutant counts as killed when a test failed (or timed out, or the run crashed) under it. A
surviving mutant that docs/testing.md lists as equivalent — a table row whose first cell is the
mutant's name in backticks, e.g. | `models.ledger.x_check_balanced__mutmut_3` | why | — is left
out of the denominator, and shown. Every other survivor, and every mutant no test reached,
counts against the module. Exit status 1 when a module scores below --min.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED_CODES = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}
SURVIVED_CODES = {0}
NO_TEST_CODES = {5, 33}
EQUIVALENT_ROW = re.compile(r"^\|\s*`([\w.]+__mutmut_\d+)`\s*\|")


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def equivalents() -> set[str]:
    doc = ROOT / "docs" / "testing.md"
    if not doc.exists():
        return set()
    return {m.group(1) for line in doc.read_text(encoding="utf-8").splitlines() if (m := EQUIVALENT_ROW.match(line))}


def classify(code: int | None) -> str:
    if code in KILLED_CODES:
        return "killed"
    if code in SURVIVED_CODES:
        return "survived"
    if code in NO_TEST_CODES:
        return "no tests"
    if code is None:
        return "not checked"
    return "suspicious"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable score per module, in percent")
    parser.add_argument("--survivors", action="store_true", help="list every mutant that counts against a score")
    args = parser.parse_args()
    known_equivalent = equivalents()
    failing, rows, against = [], [], []
    for module in modules():
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            rows.append((module, 0, 0, 0, 0, 0, None))
            failing.append(module)
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for name, code in codes.items():
            kind = classify(code)
            if kind == "survived" and name in known_equivalent:
                kind = "equivalent"
            counts[kind] += 1
            if kind not in ("killed", "equivalent"):
                against.append(f"{kind:>11}  {name}")
        counted = sum(counts.values()) - counts["equivalent"]
        score = 100.0 * counts["killed"] / counted if counted else 100.0
        rows.append((module, sum(counts.values()), counts["killed"], counts["equivalent"],
                     counts["survived"], counts["no tests"] + counts["not checked"] + counts["suspicious"], score))
        if score < args.min:
            failing.append(module)
    print(f"{'module':<30} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'survived':>8} {'other':>6} {'score':>7}")
    for module, total, killed, equivalent, survived, other, score in rows:
        shown = "no run" if score is None else f"{score:6.1f}%"
        print(f"{module:<30} {total:>7} {killed:>7} {equivalent:>7} {survived:>8} {other:>6} {shown:>7}")
    if args.survivors and against:
        print("\nCounting against the score (mutmut show NAME prints the change):")
        print("\n".join(against))
    if failing:
        print(f"\nbelow {args.min:g}%: {', '.join(failing)}")
        return 1
    print(f"\nevery module at or above {args.min:g}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
