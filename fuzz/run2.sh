#!/usr/bin/env bash
# run targets two at a time: run2.sh SECONDS target...
secs=$1; shift
cd "$(dirname "$0")"
run() { cargo +nightly fuzz run "$1" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 > "logs/${LOGTAG:-}$1.log" 2>&1; echo "$1 rc=$?" >> logs/done.txt; }
while [ $# -gt 0 ]; do
  run "$1" & p1=$!
  if [ $# -gt 1 ]; then run "$2" & p2=$!; shift; else p2=; fi
  shift
  wait $p1; [ -n "$p2" ] && wait $p2
done
