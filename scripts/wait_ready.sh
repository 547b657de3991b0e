#!/usr/bin/env bash
# wait_ready.sh URL NAME SECONDS: poll URL until it answers 200, or fail after SECONDS.
url=$1; name=$2; limit=${3:-60}
for ((i = 0; i < limit * 2; i++)); do
  if curl -fs -o /dev/null "$url"; then echo "$name ready: $url"; exit 0; fi
  sleep 0.5
done
echo "$name did not become ready within ${limit}s ($url); see var/logs/" >&2
exit 1
