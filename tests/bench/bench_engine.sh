#!/usr/bin/env bash
# Benchmark (run by hand): the same rows backfilled into compressed chunks by the manual
# procedure of the TimescaleDB documentation (pause the policy, decompress the touched
# chunks, INSERT … ON CONFLICT DO NOTHING, recompress, resume) and by the engine, on two
# identical hypertables of the same server in one run. Prints both times and the ratio.
#   tests/bench/bench_engine.sh [DEVICES] [CONNINFO] [ROUNDS] [EXISTING] [RTT_MS] [KEY]   (CONNINFO "" = the sandbox)
# The hypertables hold EXISTING devices (default 5) every 30 minutes over 30 daily chunks; the
# backfill adds DEVICES more (default 20) and repeats every row of device 1 (duplicates).
#   20 devices into 5:  the backfill is four times the data already there (the engine's worst case)
#   2 devices into 40:  a late device or two, the usual backfill
# RTT_MS (sandbox only) puts a network of that round-trip time between both procedures and the server.
# KEY: "unique" (default: UNIQUE (time, device_id)) or "none" (no key: the duplicates are inserted too).
# Without CONNINFO it starts the TimescaleDB sandbox. Goal (issue 4): engine <= 1.0x manual.
set -euo pipefail
devices=${1:-20}
rounds=${3:-5}
existing=${4:-5}
rtt=${5:-0}
key=${6:-unique}
case $key in unique) key_sql=", UNIQUE (time, device_id)"; distinct=true ;; none) key_sql=""; distinct=false ;; *) echo "KEY: unique or none" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=$root/build/bin/backfill-studio-cli
work=$(mktemp -d /tmp/bfs-bench-engine.XXXXXX)
cleanup() {
    [ -n "${proxy:-}" ] && kill "$proxy" 2>/dev/null
    [ -n "${sandbox:-}" ] && "$root/tests/fixtures/sandbox.sh" stop "$work/sb" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${2:-}" ]; then
    conn=$2
else
    sandbox=1
    "$root/tests/fixtures/sandbox.sh" start "$work/sb" >/dev/null
    conn="host=127.0.0.1 port=$(cat "$work/sb/port") user=postgres dbname=postgres sslmode=disable password=sandbox"
fi
# The procedures' own connection: through the delaying proxy when RTT_MS is given.
run_conn=$conn
if [ "$rtt" != 0 ]; then
    [ -n "${sandbox:-}" ] || { echo "RTT_MS works with the sandbox only" >&2; exit 2; }
    node "$root/tests/bench/delay_proxy.mjs" "$(cat "$work/sb/port")" "$rtt" >"$work/proxy.log" 2>&1 &
    proxy=$!
    for _ in $(seq 1 50); do grep -q '^READY' "$work/proxy.log" && break; sleep 0.1; done
    run_conn="host=127.0.0.1 port=$(awk '/^READY/ {print $2}' "$work/proxy.log") user=postgres dbname=postgres sslmode=disable password=sandbox"
    echo "round trip to the server: $rtt ms"
fi
q() { psql -X -q -v ON_ERROR_STOP=1 "$conn" "$@" 2>&1 | grep -v -E '^(DEBUG|LOG):' || true; }

# The backfill: devices EXISTING+1 … EXISTING+DEVICES over the same 30 days, plus every existing row of device 1 (duplicates).
gen="SELECT t, d, 2 FROM generate_series('2026-08-01'::timestamptz, '2026-08-30 23:30', '30 minutes') t, generate_series($existing + 1, $existing + $devices) d
     UNION ALL SELECT t, 1, 2 FROM generate_series('2026-08-01'::timestamptz, '2026-08-30 23:30', '30 minutes') t"
{ echo "time,device_id,value"; psql -X -A -t -F, "$conn" -c "SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS+00'), d, v FROM ($gen) s(t, d, v)" 2>/dev/null | grep -v -E '^(DEBUG|LOG)'; } >"$work/rows.csv"
rows=$(($(wc -l <"$work/rows.csv") - 1))
echo "rows to backfill: $rows into 30 compressed chunks holding $((existing * 48 * 30)) rows; $rounds rounds"

# Two identical hypertables: 30 daily chunks, EXISTING devices every 30 minutes, all compressed.
make_tables() {
    for t in bench_manual bench_engine; do
        q -c "DROP TABLE IF EXISTS $t;
              CREATE TABLE $t (time timestamptz NOT NULL, device_id int NOT NULL, value double precision$key_sql);
              SELECT create_hypertable('$t', 'time', chunk_time_interval => interval '1 day');
              INSERT INTO $t SELECT t, d, 1 FROM generate_series('2026-08-01'::timestamptz, '2026-08-30 23:30', '30 minutes') t, generate_series(1, $existing) d;
              ALTER TABLE $t SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id');
              SELECT compress_chunk(c, true) FROM show_chunks('$t') c;
              SELECT add_compression_policy('$t', compress_after => interval '30 days');" >/dev/null
    done
}

# Manual procedure (staging excluded from the timing, as for the engine's move phase).
run_manual() {
    local job
    job=$(psql -X -A -t "$conn" -c "SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'bench_manual'" 2>/dev/null | grep -E '^[0-9]+$')
    q -c "DROP TABLE IF EXISTS manual_stage; CREATE TABLE manual_stage AS $gen;" >/dev/null
    # psql's \timing of each statement, summed: the connection's set-up is not counted, as for the engine.
    manual=$(psql -X -q -v ON_ERROR_STOP=1 "$run_conn" <<SQL 2>&1 | awk '/^Time: / {s += $2} END {printf "%.4f", s / 1000}'
\\timing on
SELECT alter_job($job, scheduled => false);
SELECT decompress_chunk(c, true) FROM show_chunks('bench_manual') c;
INSERT INTO bench_manual SELECT * FROM manual_stage ON CONFLICT DO NOTHING;
SELECT compress_chunk(c, true) FROM show_chunks('bench_manual') c;
SELECT alter_job($job, scheduled => true);
SQL
)
    q -c "DROP TABLE manual_stage" >/dev/null
}

# The engine (its stage phase reads and uploads the CSV; compared: plan + move + recompress).
run_engine() {
    local json
    json=$("$cli" backfill --db "$run_conn" --table bench_engine --csv "$work/rows.csv" --on-conflict skip --json --journal-dir "$work/j" ${BFS_ENGINE_ARGS:-})
    engine=$(echo "$json" | awk -F': ' '/"plan"|"move"|"recompress"/ {gsub(/,/, "", $2); s += $2} END {print s}')
    stage=$(echo "$json" | awk -F': ' '/"stage"/ {gsub(/,/, "", $2); print $2}')
}

# The sandbox's speed drifts from statement to statement (garbage collection, heap growth), so
# both run in every round, in alternating order, and the median ratio is the result.
ratios=(); manuals=(); engines=()
for round in $(seq 1 "$rounds"); do
    make_tables
    if [ $((round % 2)) -eq 1 ]; then run_manual; run_engine; else run_engine; run_manual; fi
    check=$(psql -X -A -t "$conn" -c "SELECT (SELECT count(*) FROM bench_manual) = (SELECT count(*) FROM bench_engine)
                                        AND (NOT $distinct OR (SELECT count(*) FROM bench_engine) = (SELECT count(DISTINCT (time, device_id)) FROM bench_engine))" 2>/dev/null | grep -E '^[tf]$')
    [ "$check" = t ] || { echo "round $round: the two hypertables differ" >&2; exit 1; }
    ratio=$(echo "$engine / $manual" | bc -l)
    ratios+=("$ratio"); manuals+=("$manual"); engines+=("$engine")
    printf 'round %d: manual procedure %.2f s; engine plan+move+recompress %.2f s (stage %.2f s); ratio %.2f\n' \
        "$round" "$manual" "$engine" "$stage" "$ratio"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
least() { printf '%s\n' "$@" | sort -g | head -1; }
printf 'median ratio engine/manual over %d rounds: %.2f\n' "$rounds" "$(median "${ratios[@]}")"
# The sandbox's speed changes from round to round (by up to 2x), so two more views of the
# same rounds: each procedure's median time, and each one's best round (the least disturbed).
printf 'median times: manual %.2f s, engine %.2f s (ratio %.2f); best times: manual %.2f s, engine %.2f s (ratio %.2f)\n' \
    "$(median "${manuals[@]}")" "$(median "${engines[@]}")" "$(echo "$(median "${engines[@]}") / $(median "${manuals[@]}")" | bc -l)" \
    "$(least "${manuals[@]}")" "$(least "${engines[@]}")" "$(echo "$(least "${engines[@]}") / $(least "${manuals[@]}")" | bc -l)"
