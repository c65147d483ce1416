#!/usr/bin/env bash
# Ingest throughput, A/B: the code of an older commit against this checkout, alternating in one session so
# both see the same load. Usage: bench/ingest_ab.sh OLD_REV [ROUNDS]   (from the project root, venv in .venv)
# Prints one line per run: round, side, seconds, load average.
set -euo pipefail
old_rev=${1:?usage: bench/ingest_ab.sh OLD_REV [ROUNDS]}
rounds=${2:-2}
root=$(pwd)
corpus=${CORPUS:-$root/../shared/data/reuters21578/articles.jsonl.gz}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -f --detach "$work/old" "$old_rev" -q
for round in $(seq "$rounds"); do
  for side in old new; do
    code=$root; [ "$side" = old ] && code=$work/old
    rm -rf "$work/db"; mkdir -p "$work/db"
    start=$(date +%s.%N)
    (cd "$work" && BRIEFBOT_EMBEDDINGS=off PYTHONPATH=$code "$root/.venv/bin/python" -m bot --db "$work/db/x.db" ingest "$corpus" | tail -1)
    end=$(date +%s.%N)
    printf 'round %s %s %.1f s  load %s\n' "$round" "$side" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
