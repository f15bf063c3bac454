#!/usr/bin/env bash
# The performance benchmark (DESIGN.md §6; benches/README.md).
#
# Builds the bench binaries and the CLI in release, generates the benchmark captures into target/bench/ when
# missing, then, per size and in this one run: the bare pcap-parser read loop, the library's analysis
# (engine + sessions, with its heap allocations counted), the whole CLI (`cwmp-doctor check --pcap F
# --format json`: checks and report included — the full diagnosis) — best of 3 each — and
# `tshark -r F -Y http.request` (1 run), each under `/usr/bin/time`; then the same without tshark on a
# bulk-only capture of each size (the allocation-free path). Checks that the library, the CLI's JSON report
# and tshark found what the generator wrote, prints a Markdown table and writes it to
# target/bench/results.md. Writes nothing outside target/.
#
# Environment: SIZES (default "256M 1G"), RUNS (default 3), NO_TSHARK=1 to skip tshark.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=target/bench
SIZES=${SIZES:-256M 1G}
RUNS=${RUNS:-3}
mkdir -p "$OUT"

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)…" >&2
    apt-get install -y time >/dev/null
fi
if [ -z "${NO_TSHARK:-}" ] && ! command -v tshark >/dev/null; then
    echo "tshark not found: install it (apt-get install tshark) or set NO_TSHARK=1" >&2
    exit 2
fi

echo "building (cargo bench --no-run and cargo build, release profile)…" >&2
build=$(cargo bench --no-run --message-format=json 2>/dev/null)
cargo build --release --quiet
CLI=target/release/cwmp-doctor
exe() {
    grep "\"kind\":\[\"bench\"\]" <<<"$build" | grep "\"name\":\"$1\"" |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1
}
GEN=$(exe gen_capture)
BARE=$(exe bare_read)
DIAG=$(exe diagnose)
for b in "$GEN" "$BARE" "$DIAG" "$CLI"; do
    [ -x "$b" ] || { echo "bench binary not built: '$b'" >&2; exit 2; }
done

# timed CMD…: runs CMD under /usr/bin/time; sets WALL (s), RSS (KiB) and OUTPUT (its stdout).
# The wall time is taken around it in nanoseconds: time's own %e has a 10 ms resolution, too coarse for
# the bare loop (≈ 30 ms at 256 MiB); time's fork costs well under a millisecond.
timed() {
    local t start end
    t=$(mktemp)
    start=$(date +%s%N)
    OUTPUT=$(/usr/bin/time -f '%e %M' -o "$t" "$@" 2>/dev/null)
    end=$(date +%s%N)
    read -r _ RSS <"$t"
    rm -f "$t"
    WALL=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')
}

# field NAME LINE: the value of NAME=… in LINE.
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

failures=0
check() { # check WHAT GOT WANT
    if [ "$2" = "$3" ]; then
        echo "  ok   $1: $2" >&2
    else
        echo "  FAIL $1: found $2, generator wrote $3" >&2
        failures=$((failures + 1))
    fi
}

# capture NAME SIZE [--bulk-only]: generates target/bench/NAME.pcap once; prints its path.
capture() {
    local cap="$OUT/$1.pcap" report
    if [ ! -s "$cap" ] || [ ! -s "$cap.expect" ]; then
        echo "generating $cap…" >&2
        report=$("$GEN" "$cap" "${@:2}")
        echo "$report" >&2
        grep '^expect ' <<<"$report" >"$cap.expect"
    fi
    echo "$cap"
}

# cli CAPTURE: writes the CLI's JSON report (exit 1 = a check failed: still a full report).
cli() {
    "$CLI" check --pcap "$1" --format json --output "$OUT/report.json" || [ $? -eq 1 ]
}
# cli_counts: what that report found, in the generator's words.
cli_counts() {
    python3 - "$OUT/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
msgs = r["messages"]
requests = [m for m in msgs if not m["http"][:1].isdigit()]
informs = [m for m in requests if m.get("rpc") == "Inform"]
print(f"found frames={r['capture']['frames']} http_requests={len(requests)} "
      f"http_messages={len(msgs)} cwmp_sessions={len(informs)}")
EOF
}
export -f cli
export CLI OUT

rows=()
# measure LABEL CAPTURE WITH_TSHARK: times the tools on CAPTURE, checks their counts, adds table rows.
measure() {
    local label=$1 cap=$2 with_tshark=$3 expect bytes tool bin tools="bare diagnose cli" k got
    expect=$(cat "$cap.expect")
    bytes=$(stat -L -c %s "$cap")
    echo "== $cap ($bytes bytes): $expect" >&2
    cat "$cap" >/dev/null # the same warm page cache for every tool
    declare -A best_wall=() peak_rss=() allocs=()
    for tool in bare diagnose cli; do
        bin=$BARE
        [ "$tool" = diagnose ] && bin=$DIAG
        best_wall[$tool]=""
        peak_rss[$tool]=0
        for _ in $(seq "$RUNS"); do
            if [ "$tool" = cli ]; then
                timed bash -c 'cli "$1"' cli "$cap"
                OUTPUT=$(cli_counts)
            else
                timed "$bin" "$cap"
            fi
            echo "  $tool: ${WALL} s, ${RSS} KiB — ${OUTPUT//$'\n'/; }" >&2
            if [ -z "${best_wall[$tool]}" ] || awk "BEGIN{exit !($WALL < ${best_wall[$tool]})}"; then
                best_wall[$tool]=$WALL
            fi
            [ "$RSS" -gt "${peak_rss[$tool]}" ] && peak_rss[$tool]=$RSS
        done
        if [ "$tool" = bare ]; then
            check "bare loop frames" "$(field frames "$OUTPUT")" "$(field frames "$expect")"
        else
            [ "$tool" = diagnose ] && allocs[$tool]=$(field allocations "$OUTPUT")
            for k in frames http_requests http_messages cwmp_sessions; do
                check "$tool $k" "$(field "$k" "$OUTPUT")" "$(field "$k" "$expect")"
            done
        fi
    done
    if [ "$with_tshark" = yes ] && [ -z "${NO_TSHARK:-}" ]; then
        timed sh -c 'tshark -r "$1" -Y http.request -T fields -e frame.number 2>/dev/null | wc -l' tshark "$cap"
        echo "  tshark: ${WALL} s, ${RSS} KiB — $OUTPUT requests" >&2
        check "tshark http.request frames" "$(tr -d ' ' <<<"$OUTPUT")" "$(field http_requests "$expect")"
        best_wall[tshark]=$WALL
        peak_rss[tshark]=$RSS
        tools="$tools tshark"
    fi
    for tool in $tools; do
        rows+=("$(awk -v label="$label" -v tool="$tool" -v wall="${best_wall[$tool]}" \
            -v rss="${peak_rss[$tool]}" -v bytes="$bytes" -v tshark="${best_wall[tshark]:-}" \
            -v bare="${best_wall[bare]}" -v frames="$(field frames "$expect")" \
            -v allocs="${allocs[$tool]:-}" 'BEGIN {
                names["bare"] = "bare pcap-parser loop"; names["diagnose"] = "library: analyze + sessions";
                names["cli"] = "**cwmp-doctor check** (full diagnosis, JSON report)";
                names["tshark"] = "tshark -Y http.request";
                w = (wall > 0) ? wall : 0.001;
                vs_tshark = (tshark != "") ? sprintf("%.1f×", tshark / w) : "–";
                heap = (allocs != "") ? sprintf("%d (%.3f/frame)", allocs, allocs / frames) : "–";
                printf "| %s | %s | %.3f s | %.1f MiB | %.0f | %s | %.2f× | %s |", label, names[tool], wall,
                    rss / 1024, bytes / 1e6 / w, vs_tshark, w / ((bare > 0) ? bare : 0.001), heap }')")
    done
}

for size in $SIZES; do
    measure "$size" "$(capture "capture-$size" "$size")" yes
done
# The traffic that must take the allocation-free path: FTP downloads and RTP only (no CWMP, TLS, DNS).
for size in $SIZES; do
    measure "$size bulk only" "$(capture "bulk-$size" "$size" --bulk-only)" no
done

{
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)); $(tshark --version 2>/dev/null | head -1 || true)"
    echo "best of $RUNS for ours, 1 run for tshark; warm page cache; peak RSS is the highest of the runs."
    echo
    echo "| capture | tool | wall time | peak RSS | MB/s | tshark time ÷ this | this ÷ bare loop | heap allocations |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$OUT/results.md"

if [ "$failures" -gt 0 ]; then
    echo "$failures count check(s) failed" >&2
    exit 1
fi
