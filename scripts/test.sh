#!/usr/bin/env bash
# Runs gostack's whole test suite on a fresh Debian 12 machine: installs the packages the tests
# use, starts MariaDB, PostgreSQL, RabbitMQ and memcached when they are not running, and fails loudly if a
# required service cannot be had. Nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'FATAL: %s\n' "$*" >&2; exit 1; }

apt_install() {
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "Go is required (/usr/local/go/bin/go)"
missing=()
need() { command -v "$1" >/dev/null || missing+=("$2"); } # command, Debian package
need openstack python3-openstackclient
need mariadb mariadb-server
need psql postgresql
need memcached memcached
need qemu-img qemu-utils
need genisoimage genisoimage
need glance python3-glanceclient
/usr/bin/python3 -c 'import osc_placement' 2>/dev/null || missing+=(python3-osc-placement)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

wait_for() { # check command...
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    return 1
}

mariadb_up() { mariadb -h 127.0.0.1 -u root -e 'SELECT 1'; }
if ! mariadb_up >/dev/null 2>&1; then
    log "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql >/dev/null 2>&1 || true
    wait_for mariadb_up || die "MariaDB is required on 127.0.0.1:3306 (root, no password) and could not be started"
fi

postgres_up() { psql -h 127.0.0.1 -U postgres -c 'SELECT 1' postgres; }
if ! postgres_up >/dev/null 2>&1; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start >/dev/null 2>&1 || true
    wait_for postgres_up || die "PostgreSQL is required on 127.0.0.1:5432 (user postgres, trust auth) and could not be started"
fi

memcached_up() { (exec 3<>/dev/tcp/127.0.0.1/11211); }
if ! memcached_up >/dev/null 2>&1; then
    log "starting memcached"
    memcached -d -u memcache -l 127.0.0.1 -p 11211 || true
    wait_for memcached_up || die "memcached is required on 127.0.0.1:11211 and could not be started"
fi

rabbitmq_up() { (exec 3<>/dev/tcp/127.0.0.1/5672); }
if ! rabbitmq_up >/dev/null 2>&1; then
    log "starting RabbitMQ"
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_for rabbitmq_up || sleep 20
    rabbitmq_up >/dev/null 2>&1 || die "RabbitMQ is required on 127.0.0.1:5672 (guest/guest) and could not be started"
fi

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
[ -z "$unformatted" ] || die "gofmt would change: $unformatted"
log "go vet"
go vet ./...
log "go test (race detector; SQLite, MariaDB and PostgreSQL; real openstack CLI)"
go test -race -count=1 -timeout 40m ./...
