"""Keep mutmut's verdicts between runs on different machines: a full pass takes longer than one
working session on 2 cores, so `make mutate` resumes from the verdicts committed last time.

Usage (from the checkout root; ``make mutate`` runs both):
    python scripts/mutation_state.py restore [--recheck-survivors]
    python scripts/mutation_state.py save

``save`` writes, for every mutated file, mutmut's verdict per mutant and the hash of each function
to docs/mutation-state.json. ``restore`` puts them back as mutants/<file>.meta where that file is
missing; mutmut then keeps a verdict only where the function's hash is unchanged, so an edited
function is tested afresh. A survivor is not re-tested by mutmut after tests are added:
``--recheck-survivors`` clears the survivors' verdicts (and those no test reached) so they are,
except those docs/testing.md lists as equivalent (no test can kill them; each costs a full run).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mutation_score import equivalents

ROOT = Path.cwd()
STATE = ROOT / "docs" / "mutation-state.json"
MUTANTS = ROOT / "mutants"
RECHECK = {0, 5, 33}  # survived, no tests, no tests (mutmut's codes)


def save() -> int:
    files = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        files[str(meta.relative_to(MUTANTS))[: -len(".meta")]] = {
            "hash_by_function_name": dict(sorted(data["hash_by_function_name"].items())),
            "exit_code_by_key": dict(sorted(data["exit_code_by_key"].items())),
        }
    if not files:
        sys.exit("no mutmut results in mutants/: run `mutmut run` first")
    STATE.write_text(json.dumps(files, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    checked = sum(v is not None for f in files.values() for v in f["exit_code_by_key"].values())
    total = sum(len(f["exit_code_by_key"]) for f in files.values())
    print(f"saved {checked} of {total} verdicts to {STATE.relative_to(ROOT)}")
    return 0


def restore(recheck_survivors: bool) -> int:
    if not STATE.exists():
        print("no saved verdicts: mutmut starts from nothing")
        return 0
    files = json.loads(STATE.read_text(encoding="utf-8"))
    restored = cleared = 0
    equivalent = equivalents() if recheck_survivors else set()
    for path, saved in files.items():
        meta = MUTANTS / f"{path}.meta"
        if meta.exists() and not recheck_survivors:
            continue
        data = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {
            "exit_code_by_key": saved["exit_code_by_key"], "hash_by_function_name": saved["hash_by_function_name"],
            "type_check_error_by_key": {}, "durations_by_key": {}, "estimated_durations_by_key": {}}
        restored += not meta.exists()
        if recheck_survivors:
            for key, code in data["exit_code_by_key"].items():
                if code in RECHECK and key not in equivalent:
                    data["exit_code_by_key"][key] = None
                    cleared += 1
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(data), encoding="utf-8")
    print(f"restored the verdicts of {restored} files; {cleared} survivors to test again")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["save", "restore"])
    parser.add_argument("--recheck-survivors", action="store_true")
    args = parser.parse_args()
    return save() if args.action == "save" else restore(args.recheck_survivors)


if __name__ == "__main__":
    sys.exit(main())
