#!/bin/sh
# One shot: joins the six Redis nodes into a Cluster of 3 masters with a replica each, unless
# they already form one (a second `up` keeps the existing cluster and its data).
set -eu
NODES="redis-1 redis-2 redis-3 redis-4 redis-5 redis-6"
for n in $NODES; do
    until redis-cli -h "$n" ping >/dev/null 2>&1; do sleep 1; done
done
if redis-cli -h redis-1 cluster info | grep -q '^cluster_state:ok'; then
    echo "redis cluster: already formed"
    exit 0
fi
addrs=""
for n in $NODES; do
    addrs="$addrs $(getent hosts "$n" | awk '{print $1}'):6379"
done
# shellcheck disable=SC2086
redis-cli --cluster create $addrs --cluster-replicas 1 --cluster-yes
