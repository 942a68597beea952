#!/bin/sh
# HAProxy external check of one Galera node ($3 address, $4 port): healthy only when the
# node answers and is Synced (wsrep_local_state 4), not merely up (joining, desynced).
# The `haproxy` user has no password and no privileges (created by deploy/galera.py).
state=$(mariadb --no-defaults --connect-timeout=2 --host="$3" --port="$4" --user=haproxy \
  --skip-column-names --batch --execute="SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" \
  2>/dev/null | cut -f2)
[ "$state" = 4 ]
