#!/usr/bin/env bash
# Runs fuzz targets two at a time (the machine has two cores), each for SECONDS, with the
# final statistics; logs go to fuzz/logs/${LOGTAG}TARGET.log, "TARGET rc=N" lines to
# fuzz/logs/done.txt. Usage: fuzz/run2.sh SECONDS TARGET...   (seed first: fuzz/seed.sh)
secs=$1; shift
cd "$(dirname "$0")" || exit 1
mkdir -p logs
run() {
    cargo +nightly fuzz run "$1" -- -max_total_time="$secs" -rss_limit_mb=2048 \
        -print_final_stats=1 > "logs/${LOGTAG:-}$1.log" 2>&1
    echo "$1 rc=$?" >> logs/done.txt
}
while [ $# -gt 0 ]; do
    run "$1" & p1=$!
    if [ $# -gt 1 ]; then run "$2" & p2=$!; shift; else p2=; fi
    shift
    wait $p1; [ -n "$p2" ] && wait $p2
done
