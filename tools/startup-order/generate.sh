#!/usr/bin/env bash
# Regenerates src/EdgeStream.Host/startup-order.txt.gz, the NativeAOT code layout (docs/performance.md, "Start-up code
# layout"): publishes linux-x64 from a copy of the tree, runs it under trap.so three times to /readyz + 5 s and once
# under the footprint bench's load (MQTT in, HTTP sink out), and lists the methods on the code pages that ran,
# start-up first. Needs cc (or clang), readelf, nm, python3, curl; takes ~10 minutes, most of it the publish.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "[1/5] trap.so" >&2
${CC:-cc} -O2 -shared -fPIC -o "$work/trap.so" "$repo/tools/startup-order/trap.c" -ldl

echo "[2/5] publishing linux-x64 from a copy (a RID publish rewrites obj/ of every project)" >&2
mkdir "$work/src"
(cd "$repo" && tar cf - --exclude=./.git --exclude=bin --exclude=obj .) | (cd "$work/src" && tar xf -)
(cd "$work/src" && dotnet publish src/EdgeStream.Host -c Release -r linux-x64 -o "$work/out" >"$work/publish.log") \
  || { tail -20 "$work/publish.log" >&2; exit 1; }
exe="$work/out/edgestream"
dbg="$work/src/src/EdgeStream.Host/bin/Release/net10.0/linux-x64/native/edgestream.dbg"

for run in 1 2 3; do
  echo "[3/5] start-up run $run of 3" >&2
  data=$(mktemp -d -p "$work"); mqtt=$((31000 + RANDOM % 2000)); http=$((33000 + RANDOM % 2000))
  LD_PRELOAD="$work/trap.so" "$exe" run --data "$data" --mqtt-port $mqtt --http-port $http --sink http://127.0.0.1:9/ingest >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$http/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 5
  cp "/proc/$pid/maps" "$work/startup-$run.maps"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

echo "[4/5] load run (footprint bench --quick)" >&2
# The bench kills what it started with SIGKILL, so the wrapper snapshots the maps while the service runs.
cat >"$work/wrapped.sh" <<WRAP
#!/usr/bin/env bash
LD_PRELOAD="$work/trap.so" "$exe" "\$@" &
pid=\$!
( while kill -0 \$pid 2>/dev/null; do cp /proc/\$pid/maps "$work/load.tmp" 2>/dev/null && mv "$work/load.tmp" "$work/load.maps"; sleep 0.5; done ) &
wait \$pid
WRAP
chmod +x "$work/wrapped.sh"
dotnet build "$repo/bench/EdgeStream.Bench.Footprint" -c Release >"$work/bench-build.log"
dotnet "$repo/bench/EdgeStream.Bench.Footprint/bin/Release/net10.0/EdgeStream.Bench.Footprint.dll" --quick --shipped "$work/wrapped.sh" --repo /nonexistent >/dev/null

echo "[5/5] symbols" >&2
python3 "$repo/tools/startup-order/order.py" "$exe" "$dbg" "$work"/startup-*.maps --then "$work/load.maps" \
  | gzip -9n >"$repo/src/EdgeStream.Host/startup-order.txt.gz"
echo "wrote src/EdgeStream.Host/startup-order.txt.gz" >&2
