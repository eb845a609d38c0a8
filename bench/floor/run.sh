#!/usr/bin/env bash
# Server CPU per echo of a bare TCP echo server (bench/floor/tcp_echo.cpp),
# epoll against io_uring, alternating; server on core 1, load on core 0.
#   bench/floor/run.sh [connections=100] [repetitions=3] [seconds=4]
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-100}
reps=${2:-3}
seconds=${3:-4}
dir=build-native
if [[ ! -x $dir/hyphae_tcp_echo || ! -x $dir/hyphae_tcp_load ]]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" --target hyphae_tcp_echo hyphae_tcp_load -j2 >/dev/null
fi
for ((rep = 1; rep <= reps; rep++)); do
  for mode in epoll uring; do
    coproc SERVER { exec taskset -c 1 "$dir/hyphae_tcp_echo" "$mode" "$connections"; }
    read -r line <&"${SERVER[0]}"
    if [[ $line != listening* ]]; then
      echo "$mode #$rep: skipped (io_uring ${line#unavailable })"
      wait "$SERVER_PID" || true
      continue
    fi
    if ! result=$(taskset -c 0 "$dir/hyphae_tcp_load" "${line#listening }" "$connections" "$seconds" "$SERVER_PID"); then
      kill "$SERVER_PID" 2>/dev/null || true
      echo "$mode #$rep: the load failed" >&2
      exit 1
    fi
    # Closing the load's connections ends the server.
    wait "$SERVER_PID" || true
    echo "$mode #$rep: $result"
  done
done
