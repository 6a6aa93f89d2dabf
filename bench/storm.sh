# bench/storm.sh: sourced by bench/run.sh --storm. A hostile-load check,
# not a figure of the table: 19,000 clients connect at once (as fast as
# STORM_INFLIGHT handshakes in flight allow), stay STORM_HOLD, and leave,
# while 100 other clients receive targeted publishes. It prints, from the
# server's /metrics and pushbench: goroutines and heap in use before,
# during and after the storm, and the probe's API and delivery p99 alone
# and during the storm. Nothing is lost and nothing is left behind when
# the goroutines and heap are back to where they started and the probe
# lost nothing. The heap is read again after the next garbage collection
# (an idle Go process collects at least every two minutes), since until
# then what the clients left is garbage still counted as in use.

STORM_N=${STORM_N:-19000} STORM_INFLIGHT=${STORM_INFLIGHT:-3000} STORM_HOLD=${STORM_HOLD:-10s}

# metric NAME: the value of NAME on the server's /metrics.
metric() {
  curl -fs -m 2 "http://127.0.0.1:$SRV_API/metrics" | awk -v n="$1" '$1 == n { printf "%.0f\n", $2 }'
}

# probe LABEL: 100 clients, targeted publishes to them for 15 s, results
# in bin/bench-storm-LABEL.json.
probe() {
  "$BENCH" -io "127.0.0.1:$SRV_IO" -api "127.0.0.1:$SRV_API" -n 100 -uid-offset 100000 -c 4 \
    -duration 15s -label "$1" targeted >"bin/bench-storm-$1.json" 2>"bin/bench-storm-$1.log"
}

storm_run() {
  start_server pushio bin/bench-pushio.log || { log "pushio did not start: $(tail -3 bin/bench-pushio.log)"; return 1; }
  local g0 h0 g1 h1 g2 h2 g3 h3 gc storm i
  sleep 1
  g0=$(metric go_goroutines) h0=$(metric go_memstats_heap_inuse_bytes)
  log "storm: the probe alone"
  probe alone
  log "storm: the probe during $STORM_N connections at once"
  probe storm &
  local pp=$!
  sleep 2
  "$BENCH" -io "127.0.0.1:$SRV_IO" -api "127.0.0.1:$SRV_API" -n "$STORM_N" -rate 0 -inflight "$STORM_INFLIGHT" \
    -duration "$STORM_HOLD" -await 0 connect >bin/bench-storm-clients.json 2>bin/bench-storm-clients.log &
  storm=$!
  sleep 8
  g1=$(metric go_goroutines) h1=$(metric go_memstats_heap_inuse_bytes)
  wait "$storm" || true
  wait "$pp" || true
  sleep 5
  g2=$(metric go_goroutines) h2=$(metric go_memstats_heap_inuse_bytes)
  gc=$(metric go_gc_duration_seconds_count)
  log "storm: waiting (at most 150 s) for the next garbage collection"
  for i in $(seq 150); do
    [ "$(metric go_gc_duration_seconds_count)" = "$gc" ] || break
    sleep 1
  done
  g3=$(metric go_goroutines) h3=$(metric go_memstats_heap_inuse_bytes)
  stop "$SRV_PID"
  echo
  echo "storm: $(grep '^connect' bin/bench-storm-clients.log)"
  echo "| | goroutines | heap in use (MB) |"
  echo "|---|---:|---:|"
  echo "| before | $g0 | $((h0 / 1048576)) |"
  echo "| during, $STORM_N connected | $g1 | $((h1 / 1048576)) |"
  echo "| 5 s after they left | $g2 | $((h2 / 1048576)) |"
  echo "| after the next garbage collection (${i} s later) | $g3 | $((h3 / 1048576)) |"
  echo
  for l in alone storm; do echo "probe $l: $(grep '^targeted' "bin/bench-storm-$l.log")"; done
}
