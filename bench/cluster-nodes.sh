#!/usr/bin/env bash
# One exchange on 1, 2 and 3 `--cluster` nodes (SPEC §10), the same many-rooms load spread
# over them: throughput, latency and the CPU that the nodes, NATS and PostgreSQL spend per
# accepted bid, for bench/README.md's "1 → 3 nodes" table and its model.
#
#   bench/cluster-nodes.sh [NODE COUNTS...]        # default: 1 2 3
#
# Every node runs under `taskset -c $SERVER_CPUS` (default 0) and the load generator under
# `taskset -c $CLIENT_CPUS` (default 1), so that each count gets the same CPU: on one
# machine more nodes can only show what spreading a room's clients over nodes costs.
# Needs release builds (`cargo build --release -p bidroom -p bidroom-loadtest`), the
# PostgreSQL at $PG_URL (trust auth; a fresh database per run) and the NATS at $NATS_URL.
# Knobs: RATE (offered bids/s, open loop; empty for a closed loop), ROOMS, BIDDERS,
# WATCHERS, DURATION, OUT (where logs and reports go).
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=target/release/bidroom
LOADTEST=target/release/bidroom-loadtest
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
SERVER_CPUS=${SERVER_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
RATE=${RATE-2000}
ROOMS=${ROOMS:-100}
BIDDERS=${BIDDERS:-2}
WATCHERS=${WATCHERS:-10}
DURATION=${DURATION:-10}
OUT=${OUT:-$(mktemp -d /tmp/bidroom-cluster-nodes.XXXXXX)}
mkdir -p "$OUT"
COUNTS=("${@:-1 2 3}")
read -r -a COUNTS <<<"${COUNTS[*]}"
TICKS=$(getconf CLK_TCK)

for tool in "$BIN" "$LOADTEST"; do
    [[ -x $tool ]] || { echo "missing $tool: cargo build --release -p bidroom -p bidroom-loadtest" >&2; exit 1; }
done
nats_pid=$(pgrep -xo nats-server) || { echo "no nats-server runs" >&2; exit 1; }

# CPU ticks (user + system) of the listed processes, their threads included.
ticks() {
    local total=0 pid fields
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || continue
        read -r -a fields < <(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + fields[11] + fields[12]))
    done
    echo "$total"
}

postgres_pids() { pgrep -x postgres || pgrep -f '^postgres:' || true; }

pids=()
stop_nodes() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
trap stop_nodes EXIT

# Samples every 0.2 s: nanoseconds, then the nodes', NATS's and PostgreSQL's CPU ticks.
sample() {
    while true; do
        echo "$(date +%s%N) $(ticks "$@") $(ticks "$nats_pid") $(ticks $(postgres_pids))"
        sleep 0.2
    done
}

echo "nodes | offered bids/s | accepted bids/s | bid→ack p50 / p99 ms | CPU (cores) and µs per accepted bid: nodes | NATS | PostgreSQL"
for count in "${COUNTS[@]}"; do
    database="bidroom_nodes_${count}_$$"
    psql -q "$PG_URL/postgres" -c "CREATE DATABASE $database" >/dev/null
    exchange="nodes${count}x$$"
    servers=()
    for ((node = 1; node <= count; node++)); do
        log="$OUT/node-$count-$node.log"
        taskset -c "$SERVER_CPUS" "$BIN" serve --listen 127.0.0.1:0 \
            --database-url "$PG_URL/$database" --cluster --node-id "n$node" \
            --cluster-name "$exchange" --nats-url "$NATS_URL" \
            --bootstrap-admin admin:admin-password --bid-rate-limit 100000 \
            --account-bid-rate-limit 100000 --max-connections-per-account 0 \
            --max-connections-per-address 0 --allow-bulk-seed \
            --id-number-key bench-cluster-nodes-id-number-key-000 >"$log" 2>&1 &
        pids+=($!)
        address=
        for _ in $(seq 300); do
            address=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's/listening on //') || true
            [[ -n $address ]] && break
            sleep 0.1
        done
        [[ -n $address ]] || { echo "node $node did not start: $log" >&2; exit 1; }
        servers+=("$address")
    done
    rate_flag=()
    [[ -n $RATE ]] && rate_flag=(--rate "$RATE")
    report="$OUT/report-$count.json"
    samples="$OUT/cpu-$count.txt"
    sample "${pids[@]}" >"$samples" &
    sampler=$!
    started_ns=$(date +%s%N)
    taskset -c "$CLIENT_CPUS" "$LOADTEST" --threads 1 --quiet --json "$report" \
        --server "$(IFS=,; echo "${servers[*]}")" --admin admin:admin-password \
        many-rooms --rooms "$ROOMS" --bidders "$BIDDERS" --watchers "$WATCHERS" \
        --duration-secs "$DURATION" --strategy ladder "${rate_flag[@]}" >"$OUT/loadtest-$count.log" 2>&1 \
        || { echo "the load test on $count nodes failed: $OUT/loadtest-$count.log" >&2; exit 1; }
    kill "$sampler"
    stop_nodes
    psql -q "$PG_URL/postgres" -c "DROP DATABASE $database" >/dev/null
    # The bidding's window: after the setup and the connections (the report's own times).
    read -r from_ns to_ns accepted_per_sec < <(jq -r --argjson started "$started_ns" '
        (.setup_secs + .connect_secs) as $before
        | "\($started + ($before * 1e9 | floor)) \($started + (($before + .bidding_secs) * 1e9 | floor)) \(.bids.accepted_per_sec)"' "$report")
    cpu=$(awk -v from="$from_ns" -v to="$to_ns" -v tick="$TICKS" -v rate="$accepted_per_sec" '
        $1 >= from && !first { first = 1; t0 = $1; n0 = $2; q0 = $3; p0 = $4 }
        $1 <= to { t1 = $1; n1 = $2; q1 = $3; p1 = $4 }
        END {
            span = (t1 - t0) / 1e9
            split("nodes nats pg", names)
            out = ""
            for (i = 1; i <= 3; i++) {
                d = (i == 1 ? n1 - n0 : i == 2 ? q1 - q0 : p1 - p0) / tick / span
                out = out sprintf(" | %.2f, %.0f µs", d, d / rate * 1e6)
            }
            print out
        }' "$samples")
    jq -r --arg count "$count" --arg cpu "$cpu" '
        "\($count) | \(.rate // "closed loop") | \(.bids.accepted_per_sec | round)"
        + " | \(.latency.accepted.p50_ms) / \(.latency.accepted.p99_ms)\($cpu)"' "$report"
done
echo "logs and reports: $OUT" >&2
