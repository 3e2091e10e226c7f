#!/usr/bin/env bash
# median_time.sh RUNS COMMAND... - run COMMAND RUNS times under /usr/bin/time
# and print each run and the median wall time and peak RSS.
set -euo pipefail
RUNS=${1:?usage: median_time.sh RUNS COMMAND...}
shift
walls=() rss=()
for i in $(seq 1 "$RUNS"); do
  out=$( { /usr/bin/time -f '%e %M' "$@" > /dev/null; } 2>&1 )
  read -r wall kb <<<"$(tail -n1 <<<"$out")"
  walls+=("$wall") rss+=("$kb")
  printf '  run %d: %6.2f s  %7.1f MiB peak RSS\n' "$i" "$wall" \
    "$(awk -v k="$kb" 'BEGIN {print k / 1024}')"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf 'median of %d: %.2f s wall, %.1f MiB peak RSS\n' "$RUNS" "$(median "${walls[@]}")" \
  "$(awk -v k="$(median "${rss[@]}")" 'BEGIN {print k / 1024}')"
