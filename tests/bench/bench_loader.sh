#!/usr/bin/env bash
# Benchmark (run by hand): loads the same CSV into the same PostgreSQL 15 table with
# `psql \copy` and with `backfill-studio-cli backfill`, in one run, and prints the
# wall-time ratio and the loader's peak memory.
#   tests/bench/bench_loader.sh [ROWS]      default 1000000 rows (about 40 MB)
# Goal (issue 3): ratio <= 1.2 with client-side timestamp parsing; peak memory < 150 MB.
set -euo pipefail
rows=${1:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=$root/build/bin/backfill-studio-cli
[ -x "$cli" ] || { echo "build first: scripts/setup" >&2; exit 1; }
work=$(mktemp -d /tmp/bfs-bench.XXXXXX)
chmod 755 "$work"
trap '"$root/tests/fixtures/pg15.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$root/tests/fixtures/pg15.sh" start "$work/pg" >/dev/null
port=$(cat "$work/pg/port")
conn="host=127.0.0.1 port=$port user=bf_owner dbname=appdb sslmode=disable"
echo "generating $rows rows…"
node "$root/tests/bench/gen_csv.mjs" "$rows" >"$work/data.csv"
echo "file: $(du -h "$work/data.csv" | cut -f1)"
ddl="DROP TABLE IF EXISTS bench; CREATE TABLE bench (time timestamptz NOT NULL, device_id int NOT NULL,
     temperature double precision, humidity double precision, status text);"

# Peak RSS of a command, sampled from /proc while it runs.
peak_kb=0
run_measured() {
    "$@" &
    local pid=$! hwm=0 v
    while kill -0 "$pid" 2>/dev/null; do
        v=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
        sleep 0.05
    done
    wait "$pid"
    peak_kb=$hwm
}
now() { date +%s.%N; }

best_psql=999999; best_cli=999999; cli_peak=0
for round in 1 2 3; do
    psql -X -q "$conn" -c "$ddl"
    t0=$(now)
    psql -X -q "$conn" -c "\\copy bench FROM '$work/data.csv' WITH (FORMAT csv, HEADER true)"
    t1=$(now)
    n1=$(psql -X -Atq "$conn" -c "SELECT count(*) FROM bench")
    psql -X -q "$conn" -c "$ddl"
    t2=$(now)
    run_measured "$cli" backfill --db "$conn" --table bench --csv "$work/data.csv" >/dev/null
    t3=$(now)
    n2=$(psql -X -Atq "$conn" -c "SELECT count(*) FROM bench")
    [ "$n1" = "$rows" ] && [ "$n2" = "$rows" ] || { echo "row counts differ: psql $n1, loader $n2" >&2; exit 1; }
    p=$(echo "$t1 - $t0" | bc -l); c=$(echo "$t3 - $t2" | bc -l)
    printf 'round %d: psql \\copy %.2f s, backfill-studio-cli %.2f s (peak %d MB)\n' "$round" "$p" "$c" $((peak_kb / 1024))
    best_psql=$(echo "if ($p < $best_psql) $p else $best_psql" | bc -l)
    best_cli=$(echo "if ($c < $best_cli) $c else $best_cli" | bc -l)
    [ "$peak_kb" -gt "$cli_peak" ] && cli_peak=$peak_kb
done
printf 'best of 3: psql \\copy %.2f s, loader %.2f s, ratio %.2f; loader peak memory %d MB\n' \
    "$best_psql" "$best_cli" "$(echo "$best_cli / $best_psql" | bc -l)" $((cli_peak / 1024))
