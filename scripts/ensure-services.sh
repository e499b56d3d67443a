#!/usr/bin/env bash
# Makes sure the local PostgreSQL and RabbitMQ the tests use are up, starting them if not.
set -euo pipefail
# The servers' tools live in sbin folders, which a non-login environment may leave off the PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_up; then
  echo "ensure-services: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  for _ in $(seq 1 60); do pg_up && break; sleep 1; done
fi
pg_up || { echo "ensure-services: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

rabbit_up() {
  if command -v rabbitmq-diagnostics >/dev/null 2>&1; then
    rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1
  else
    (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null
  fi
}
if ! rabbit_up; then
  echo "ensure-services: starting RabbitMQ" >&2
  rabbitmq-server -detached >/dev/null 2>&1 || true
  rabbitmqctl -q await_startup --timeout 120 >/dev/null 2>&1 || true
  # A node that is running with its app stopped (stop_app) needs start_app.
  rabbit_up || rabbitmqctl -q start_app >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do rabbit_up && break; sleep 1; done
fi
rabbit_up || { echo "ensure-services: RabbitMQ is not reachable on 127.0.0.1:5672" >&2; exit 1; }
echo "ensure-services: PostgreSQL and RabbitMQ are up" >&2
