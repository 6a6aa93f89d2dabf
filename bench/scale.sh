# bench/run.sh --scale: many logged-in clients on one machine as a local
# cluster. Sourced by bench/run.sh, whose log, free_port, start_server,
# start_redis, stop, replace_block and pids it uses.
#
# SCALE_N clients over SCALE_INSTANCES pushio instances on one
# redis-server, held by several pushbench processes (at most SCALE_PER
# clients each: one process may open 20,000 files here); once every
# client is logged in (type=count on each instance says SCALE_N pages),
# they are held for SCALE_HOLD while every instance's RSS and CPU and the
# cluster's page count are sampled; then SCALE_K broadcasts go through the
# first instance's API, SCALE_GAP apart, and every process records when
# each of its clients received each. With perf installed, the first
# instance is profiled during the broadcasts.

SCALE_PER=${SCALE_PER:-18000}         # clients per pushbench process
SCALE_RATE=${SCALE_RATE:-2000}        # logins started per second, all processes together
SCALE_K=${SCALE_K:-5}                 # broadcasts
SCALE_GAP=${SCALE_GAP:-5s}            # between broadcasts: each has reached everyone before the next
SCALE_DRAIN=${SCALE_DRAIN:-30}        # seconds after the last broadcast for late deliveries
SCALE_TIMEOUT=${SCALE_TIMEOUT:-30s}   # pushbench -timeout: login, API request
SCALE_MIN_FREE_MB=${SCALE_MIN_FREE_MB:-2048} # abort when MemAvailable drops below
SCALE_PUSHIO_ARGS=${SCALE_PUSHIO_ARGS:-}    # more pushio flags, e.g. "--redis.timeout 10s"

# seconds DURATION: 90, 90s or 5m in seconds.
seconds() {
  case $1 in
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}

avail_mb() { awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo; }

# ticks PID...: user+system CPU time of the processes, in clock ticks
# (after the command name, in parentheses, utime and stime are the 12th and
# 13th fields).
ticks() {
  local p
  for p in "$@"; do cat "/proc/$p/stat"; done | awk '{sub(/.*\) /, ""); s += $12 + $13} END {print s + 0}'
}

# rss_mb PID: resident memory in MB.
rss_mb() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# pages API: the cluster-wide page count one instance reports.
pages() { curl -fs -m 5 "http://$1/?type=count" | jq -r .pages 2>/dev/null || echo 0; }

# guard: aborts the run (the EXIT trap stops everything) when memory runs
# low or a load generator died.
guard() {
  local p
  if [ "$(avail_mb)" -lt "$SCALE_MIN_FREE_MB" ]; then
    log "scale: MemAvailable $(avail_mb) MB < $SCALE_MIN_FREE_MB MB: aborting"
    exit 1
  fi
  for p in "${holders[@]}"; do
    kill -0 "$p" 2>/dev/null || { log "scale: pushbench $p exited early: $(tail -3 bin/bench-scale-hold-*.log)"; exit 1; }
  done
}

scale_run() {
  local n=$SCALE_N k=$SCALE_INSTANCES hold procs i off cnt io_list rate t0 t1 now
  hold=$(seconds "$SCALE_HOLD")
  procs=$(((n + SCALE_PER - 1) / SCALE_PER))
  rate=$(((SCALE_RATE + procs - 1) / procs))
  # ~50 KB per client in pushio, ~15 KB in pushbench, and headroom.
  if [ "$(avail_mb)" -lt $((n * 65 / 1024 + SCALE_MIN_FREE_MB)) ]; then
    log "scale: $(avail_mb) MB available, want $((n * 65 / 1024 + SCALE_MIN_FREE_MB)) MB for $n clients"
    exit 1
  fi
  log "scale: $n clients, $k pushio instances on one redis-server, $procs pushbench processes; hold ${hold}s; $SCALE_K broadcasts"
  rm -f bin/bench-scale-*
  start_redis
  inst=() ios=() apis=() rss0=()
  for i in $(seq "$k"); do
    # shellcheck disable=SC2086 # SCALE_PUSHIO_ARGS is a list of flags
    start_server pushio "bin/bench-scale-pushio-$i.log" --redis.url "$REDIS_URL" $SCALE_PUSHIO_ARGS ||
      { log "scale: pushio $i did not start: $(tail -3 "bin/bench-scale-pushio-$i.log")"; exit 1; }
    inst+=("$SRV_PID") ios+=("127.0.0.1:$SRV_IO") apis+=("127.0.0.1:$SRV_API")
    rss0+=("$(rss_mb "$SRV_PID")")
  done
  io_list=$(IFS=,; echo "${ios[*]}")

  # Ramp: every process spreads its clients over every instance.
  holders=() off=0
  t0=$(date +%s)
  for i in $(seq 0 $((procs - 1))); do
    cnt=$(((n - off) / (procs - i)))
    "$BENCH" -label pushio-scale -io "$io_list" -api "${apis[i % k]}" -n "$cnt" -uid-offset "$off" \
      -rate "$rate" -timeout "$SCALE_TIMEOUT" -duration 24h hold \
      >"bin/bench-scale-hold-$i.json" 2>"bin/bench-scale-hold-$i.log" &
    holders+=("$!")
    pids+=("$!")
    off=$((off + cnt))
  done
  # Logins take n / SCALE_RATE seconds at best; Redis presence may lag
  # behind under load (the cluster count is what this waits for).
  local online=0 deadline=$((t0 + n / SCALE_RATE * 6 + 300))
  # A few logins may fail or drop: then it stops once the count has moved
  # by no more than 0.1% of n for 20 s after the nominal ramp.
  local seen=-1 still=$t0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 2
    guard
    online=$(pages "${apis[0]}")
    [ "$online" -lt "$n" ] || break
    [ $(((online - seen) * (online - seen))) -le $(((n / 1000) * (n / 1000))) ] || { seen=$online still=$(date +%s); }
    [ $(($(date +%s) - still)) -lt 20 ] || [ $(($(date +%s) - t0)) -lt $((n / SCALE_RATE)) ] || break
  done
  local ramp=$(($(date +%s) - t0)) counts=()
  for i in $(seq 0 $((k - 1))); do counts+=("$(pages "${apis[i]}")"); done
  log "scale: $online of $n logged in after ${ramp}s; type=count pages per instance: ${counts[*]}"

  # Hold, sampling every instance.
  local every=$((hold < 240 ? hold / 4 : 60)) start_pages=$online prev_pages=$online rss_sum cpu line
  local -a last=()
  [ "$every" -gt 0 ] || every=1
  printf 't_s\tpages\tlost\tavail_mb\tpushbench_cpu_pct\tredis_cpu_pct%s\n' \
    "$(for i in $(seq "$k"); do printf '\trss_mb_%d\tcpu_pct_%d' "$i" "$i"; done)" >bin/bench-scale-samples.tsv
  for i in $(seq 0 $((k - 1))); do last+=("$(ticks "${inst[i]}")"); done
  local lg0 rd0 lg1 rd1 hold_t0 idle_ticks=0
  lg0=$(ticks "${holders[@]}") rd0=$(ticks "$REDIS_PID")
  hold_t0=$(date +%s)
  t1=$hold_t0
  local hold_lg0=$lg0 hold_rd0=$rd0
  local -a hold_first=("${last[@]}")
  while [ $(($(date +%s) - hold_t0)) -lt "$hold" ]; do
    sleep "$every"
    guard
    now=$(date +%s)
    online=$(pages "${apis[0]}")
    lg1=$(ticks "${holders[@]}") rd1=$(ticks "$REDIS_PID")
    line=$(printf '%s\t' "$((now - hold_t0))" "$online" "$((prev_pages - online))" "$(avail_mb)" \
      "$(((lg1 - lg0) / (now - t1)))" "$(((rd1 - rd0) / (now - t1)))")
    for i in $(seq 0 $((k - 1))); do
      cpu=$(ticks "${inst[i]}")
      line="$line$(printf '%s\t' "$(rss_mb "${inst[i]}")" "$(((cpu - last[i]) / (now - t1)))")"
      last[i]=$cpu
    done
    echo "${line%$'\t'}" >>bin/bench-scale-samples.tsv
    log "scale: t=$((now - hold_t0))s pages $online (lost $((prev_pages - online))), pushbench CPU $(((lg1 - lg0) / (now - t1)))%, available $(avail_mb) MB"
    prev_pages=$online lg0=$lg1 rd0=$rd1 t1=$now
  done
  local hold_s=$(($(date +%s) - hold_t0)) end_pages=$online
  rss_sum=0
  local -a rss_end=() cpu_hold=()
  for i in $(seq 0 $((k - 1))); do
    rss_end+=("$(rss_mb "${inst[i]}")")
    rss_sum=$((rss_sum + rss_end[i] - rss0[i]))
    cpu_hold+=("$(awk -v a="${hold_first[i]}" -v b="${last[i]}" -v s="$hold_s" 'BEGIN {printf "%.1f", (b - a) / s}')")
    idle_ticks=$((idle_ticks + last[i] - hold_first[i]))
  done
  local lg_hold rd_hold
  lg_hold=$(awk -v a="$hold_lg0" -v b="$lg0" -v s="$hold_s" 'BEGIN {printf "%.1f", (b - a) / s}')
  rd_hold=$(awk -v a="$hold_rd0" -v b="$rd0" -v s="$hold_s" 'BEGIN {printf "%.1f", (b - a) / s}')

  # Broadcasts, profiling the first instance meanwhile.
  local perf_pid= b0 b1 bl0 bl1 bt0 bt1
  if command -v perf >/dev/null; then
    perf record -F 499 -g -p "${inst[0]}" -o bin/bench-scale-perf.data >bin/bench-scale-perf.log 2>&1 &
    perf_pid=$!
    pids+=("$perf_pid")
  fi
  b0=$(ticks "${inst[@]}") bl0=$(ticks "${holders[@]}") bt0=$(date +%s%N)
  "$BENCH" -label pushio-scale -api "${apis[0]}" -n 0 -await "$end_pages" -k "$SCALE_K" -interval "$SCALE_GAP" \
    -timeout "$SCALE_TIMEOUT" broadcast >bin/bench-scale-broadcast.json 2>bin/bench-scale-broadcast.log ||
    { log "scale: broadcast failed: $(tail -3 bin/bench-scale-broadcast.log)"; exit 1; }
  b1=$(ticks "${inst[@]}") bl1=$(ticks "${holders[@]}") bt1=$(date +%s%N)
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf report -i bin/bench-scale-perf.data --stdio --no-children -F overhead,dso,sym -g none --percent-limit 1 \
      >bin/bench-scale-perf.txt 2>/dev/null || true
  fi
  local bcast_s bcast_cpu bcast_lg
  bcast_s=$(awk -v a="$bt0" -v b="$bt1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
  bcast_cpu=$(awk -v a="$b0" -v b="$b1" -v s="$bcast_s" 'BEGIN {printf "%.0f", (b - a) / s}')
  bcast_lg=$(awk -v a="$bl0" -v b="$bl1" -v s="$bcast_s" 'BEGIN {printf "%.0f", (b - a) / s}')

  # Late deliveries still count; then stop the load generators: each
  # prints what its clients received.
  sleep "$SCALE_DRAIN"
  for i in "${holders[@]}"; do kill -INT "$i" 2>/dev/null || true; done
  for i in "${holders[@]}"; do stop "$i"; done
  holders=()
  cat bin/bench-scale-hold-*.json bin/bench-scale-broadcast.json | "$BENCH" merge >bin/bench-scale-merged.json 2>bin/bench-scale-merged.log
  cat bin/bench-scale-merged.log >&2

  scale_report >"bin/bench-table-$mode.md"
  cat "bin/bench-table-$mode.md"
  [ "$mode" != scale ] || replace_block scale "bin/bench-table-$mode.md"
}

# scale_report: the Markdown figures of the run just made, from scale_run's
# locals and the merged result.
scale_report() {
  local m=bin/bench-scale-merged.json held drops lastp50 lastmax met=yes
  held=$end_pages
  drops=$((start_pages - end_pages))
  lastp50=$(jq -r '.broadcast.last_p50_ms' "$m")
  lastmax=$(jq -r '.broadcast.last_max_ms' "$m")
  echo
  echo "- $(date -u +%Y-%m-%d), pushio $(git describe --tags --always --dirty 2>/dev/null || echo dev), $(go version | cut -d' ' -f3), redis $(redis-server --version | sed "s/.*v=\([^ ]*\).*/\1/"), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "- \`${SCALE_PUSHIO_ARGS:+SCALE_PUSHIO_ARGS=\"$SCALE_PUSHIO_ARGS\" }bench/run.sh --$mode --clients $n --instances $k --hold $SCALE_HOLD\`: $k pushio instances on one redis-server, $procs pushbench processes (\`hold\`, $SCALE_RATE logins/s together, clients spread over every instance and over source addresses 127.0.0.2…), then one more sending $SCALE_K broadcasts through the first instance's API, $SCALE_GAP apart"
  echo
  echo "| figure | value |"
  echo "|---|---:|"
  echo "| clients logged in (type=count pages, each instance) | $(IFS=/; echo "${counts[*]}") of $n, after ${ramp} s |"
  jq -r '.connect | "| logins: failed / dropped over the whole run, pushbench | \(.failed) / \(.dropped) |\n| login p50 / p99 (ms) | \(.p50_ms | floor) / \(.p99_ms | floor) |"' "$m"
  echo "| connections held over ${hold_s} s: pages at start → end (lost) | $start_pages → $end_pages ($drops) |"
  echo "| RSS per instance at the end (MB) | $(IFS=/; echo "${rss_end[*]}") |"
  echo "| RSS per connection, instances summed, delta from start (KB) | $(awk -v r="$rss_sum" -v n="$held" 'BEGIN {printf "%.1f", r * 1024 / n}') |"
  echo "| idle CPU per instance over the hold (% of a core) | $(IFS=/; echo "${cpu_hold[*]}") |"
  echo "| idle CPU, instances together / pushbench / redis (% of a core) | $(awk -v t="$idle_ticks" -v s="$hold_s" 'BEGIN {printf "%.1f", t / s}') / $lg_hold / $rd_hold |"
  jq -r '.broadcast | "| broadcast: delivered / expected (lost) | \(.delivered) / \(.expected) (\(.lost)) |\n| broadcast: delivery p50 / p99 (ms) | \(.p50_ms | floor) / \(.p99_ms | floor) |\n| broadcast: last client per broadcast (ms) | \(.last_ms | map(floor | tostring) | join(" / ")) |\n| broadcast: last client p50 / max (ms) | \(.last_p50_ms | floor) / \(.last_max_ms | floor) |"' "$m"
  echo "| CPU during the broadcasts (${bcast_s} s): instances / pushbench (% of a core) | $bcast_cpu / $bcast_lg |"
  [ "$drops" -le 0 ] && [ "$held" -ge "$n" ] || met=no
  awk -v x="$lastmax" 'BEGIN {exit !(x <= 1000)}' || met=no
  [ "$(jq -r .broadcast.lost "$m")" = 0 ] || met=no
  awk -v t="$idle_ticks" -v s="$hold_s" 'BEGIN {exit !(t / s <= 30)}' || met=no
  echo
  echo "Target (issue 8: $n held for $SCALE_HOLD, none lost, the last client of a broadcast within 1 s, idle CPU of the instances together ≤ 30% of a core): **$met**."
}
