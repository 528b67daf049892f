#!/bin/sh
# Health check helper for conf/anycast.conf: every few seconds, probe a TCP service
# and tell rexa (through stdout, ExaBGP's API) to announce or withdraw the service.
# Usage: healthcheck.sh PREFIX HOST PORT [INTERVAL]
set -u
prefix=${1:?prefix}
host=${2:?host}
port=${3:?port}
interval=${4:-5}
state=unknown

probe() {
    # Bash-free TCP probe: nc if present, else /dev/tcp through bash.
    if command -v nc >/dev/null 2>&1; then
        nc -z -w 2 "$host" "$port" >/dev/null 2>&1
    else
        bash -c "exec 3<>/dev/tcp/$host/$port" >/dev/null 2>&1
    fi
}

while :; do
    if probe; then
        new=up
    else
        new=down
    fi
    if [ "$new" != "$state" ]; then
        state=$new
        if [ "$state" = up ]; then
            echo "announce watchdog dns"
        else
            echo "withdraw watchdog dns"
        fi
        # rexa answers every command (`done` / `error`): read it, or the pipe fills.
        # End of input means rexa is gone: stop too.
        read -r answer || exit 0
        echo "healthcheck: $prefix is $state ($answer)" >&2
    fi
    sleep "$interval"
done
