#!/usr/bin/env bash
# Makes sure the PostgreSQL the spool suites use answers on 127.0.0.1:5432 (user postgres,
# trust authentication for local connections): installs it from Debian's packages when it
# is missing, starts its cluster when it is stopped, and waits until it accepts
# connections. The suites create (and drop) their own databases, named sa_<suite>_<pid>_<n>,
# so nothing else is created here. Set SEGMENT_ATTIO_TEST_PG to use another server.
set -euo pipefail

say() { printf 'start-postgres: %s\n' "$*" >&2; }

if [ -n "${SEGMENT_ATTIO_TEST_PG:-}" ]; then
    say "using SEGMENT_ATTIO_TEST_PG; not starting a local server"
    exit 0
fi
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    exit 0
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "installing postgresql"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version="$(ls /etc/postgresql | sort -V | tail -n 1)"
hba="/etc/postgresql/$version/main/pg_hba.conf"
# The tests connect as postgres without a password, over TCP on the loopback only.
if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    say "allowing trust authentication on 127.0.0.1 in $hba"
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
fi
say "starting the PostgreSQL $version cluster"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 60); do
    if pg_isready -h 127.0.0.1 -p 5432 -q; then
        # A cluster that was running before the trust line was added reads it now.
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
        exit 0
    fi
    sleep 1
done
say "PostgreSQL did not come up on 127.0.0.1:5432 within 60 s"
exit 1
