#!/usr/bin/env bash
# A three-node NATS JetStream cluster on 127.0.0.1, for trying the replicated bus on one machine
# (docs/deploy.md, "A replicated bus"): client ports 4222, 4223, 4224 (BASE_PORT moves them), route ports
# 6222, 6223, 6224 (ROUTE_BASE_PORT), a store per node under DIR (default data/nats-cluster), logs in
# DIR/nats-<n>.log. No users: loopback only, for testing. Ctrl-C stops the three.
#   scripts/nats-cluster.sh [DIR]
set -euo pipefail
dir=${1:-data/nats-cluster}
base=${BASE_PORT:-4222}
route_base=${ROUTE_BASE_PORT:-6222}
server=${NATS_SERVER:-nats-server}
command -v "$server" >/dev/null || {
  echo "nats-cluster: $server not found: install the Debian package nats-server" >&2
  exit 1
}
mkdir -p "$dir"
pids=()
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  wait
}
trap stop EXIT
trap 'exit 130' INT TERM
urls=()
for i in 1 2 3; do
  routes=()
  for j in 1 2 3; do
    [ "$j" = "$i" ] || routes+=("nats-route://127.0.0.1:$((route_base + j - 1))")
  done
  conf="$dir/nats-$i.conf"
  cat >"$conf" <<CONF
server_name: nats-$i
listen: 127.0.0.1:$((base + i - 1))
max_payload: 8MB
jetstream { store_dir: "$(realpath "$dir")/nats-$i" }
cluster {
  name: facetracker
  listen: 127.0.0.1:$((route_base + i - 1))
  routes: [$(IFS=,; echo "${routes[*]}")]
}
CONF
  "$server" -c "$conf" -l "$dir/nats-$i.log" &
  pids+=($!)
  urls+=("nats://127.0.0.1:$((base + i - 1))")
done
echo "nats-cluster: three nodes (pids ${pids[*]}), logs in $dir/nats-<n>.log; connect with"
echo "  FACETRACKER_NATS__URL=$(IFS=,; echo "${urls[*]}")"
# A node that ends (a port taken, a bad store) ends the three, saying where to look.
status=0
wait -n || status=$?
echo "nats-cluster: a node ended (status $status): see $dir/nats-<n>.log" >&2
exit "$status"
