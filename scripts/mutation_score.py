"""Mutation score per module, from the results `mutmut run` left in mutants/.

Usage: ``python scripts/mutation_score.py [--min 90] [--survivors] [--saved]`` (``make mutate`` runs it
after mutmut; ``--saved`` scores the verdicts committed in docs/mutation-state.json, no run needed).

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

ROOT = Path.cwd()  # the checkout mutmut ran in (make mutate runs from its root)
KILLED_CODES = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}
SURVIVED_CODES = {0}
NO_TEST_CODES = {5, 33}
SAVED = ROOT / "docs" / "mutation-state.json"  # scripts/mutation_state.py save
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
    parser.add_argument("--saved", action="store_true",
                        help="score the verdicts saved in docs/mutation-state.json instead of mutants/")
    args = parser.parse_args()
    known_equivalent = equivalents()
    saved = json.loads(SAVED.read_text(encoding="utf-8")) if args.saved else {}
    failing, rows, against = [], [], []
    for module in modules():
        meta = ROOT / "mutants" / f"{module}.meta"
        if args.saved:
            codes = saved.get(module, {}).get("exit_code_by_key", {})
        else:
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"] if meta.exists() else {}
        counts: Counter[str] = Counter()
        for name, code in codes.items():
            kind = classify(code)
            if kind == "survived" and name in known_equivalent:
                kind = "equivalent"
            counts[kind] += 1
            if kind in ("survived", "no tests", "suspicious"):
                against.append(f"{kind:>11}  {name}")
        checked = sum(counts.values()) - counts["not checked"]
        counted = checked - counts["equivalent"]
        score = 100.0 * counts["killed"] / counted if counted else None
        rows.append((module, sum(counts.values()), checked, counts["killed"], counts["equivalent"], counts["survived"],
                     counts["no tests"] + counts["suspicious"], score))
        if score is None or score < args.min or counts["not checked"]:
            failing.append(module)
    print(f"{'module':<28} {'mutants':>7} {'checked':>7} {'killed':>6} {'equiv.':>6} {'survived':>8} "
          f"{'no test':>7} {'score':>7}")
    for module, total, checked, killed, equivalent, survived, other, score in rows:
        shown = "-" if score is None else f"{score:6.1f}%"
        print(f"{module:<28} {total:>7} {checked:>7} {killed:>6} {equivalent:>6} {survived:>8} {other:>7} {shown:>7}")
    print("\nscore = killed / (checked - equivalent); a module not fully checked does not pass")
    if args.survivors and against:
        print("\nCounting against the score (mutmut show NAME prints the change):")
        print("\n".join(against))
    if failing:
        print(f"\nnot yet at {args.min:g}% over every mutant: {', '.join(failing)}")
        return 1
    print(f"\nevery module at or above {args.min:g}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
