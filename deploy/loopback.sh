#!/usr/bin/env bash
# The whole deployment on this machine's loopback, to try it out and for the deploy test:
# a throwaway PostgreSQL cluster, the schema, two Streamlit replicas, nginx in front of them with a
# self-signed certificate (configured from the production template, deploy/nginx/), and two
# delivery workers. Nothing listens on anything but 127.0.0.1, and only on unprivileged ports.
#
#   deploy/loopback.sh up DIR     start it all; DIR must be new or empty
#   deploy/loopback.sh down DIR   stop it all and remove DIR (and nothing else)
#
# `up` prints the portal's address and writes DIR/stack.env (addresses, ports, log files) for
# scripts. Settings: DIR/portal.env holds loopback defaults (production mode, fresh keys, a fresh
# cookie secret); every PORTAL_* variable set when calling `up` is added and wins, for example to
# hand letters to an SMTP server of your own instead of writing them to DIR/data/outbox:
#
#   PORTAL_SMTP_HOST=127.0.0.1 PORTAL_SMTP_PORT=2525 PORTAL_SMTP_SECURITY=none \
#       deploy/loopback.sh up /tmp/portal-loopback
#
# Needs nginx, openssl, curl, PostgreSQL's server programs (initdb, pg_ctl) and the project's .venv.
# nginx runs from its own prefix with its own pid and log files, never the system's nginx. As
# root, nginx runs as www-data (or nobody) and PostgreSQL as postgres; their folders live apart
# from DIR (DIR/nginx and DIR/postgres link to them), so that those users can reach them whatever
# DIR's parents allow.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$root/.venv/bin/python}
START_TIMEOUT=${START_TIMEOUT:-90}  # seconds for each part to answer; two busy cores are slow
MARKER=.portal-loopback  # in every DIR that `up` made; `down` removes no other folder

usage() { echo "usage: $0 up|down DIR" >&2; exit 2; }
say() { echo "loopback: $*" >&2; }
fail() { echo "loopback: error: $*" >&2; exit 1; }

# A process is alive unless it is gone or a zombie (an orphan whose parent has not reaped it).
alive() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ $state != Z* ]]
}

# Is PID still the process we started? Its command line must contain WHAT; this guards against
# signalling an unrelated process that reused the id after ours ended (say, across a reboot).
ours() {
    local pid=$1 what=$2
    alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$what"
}

# Stop a process group started by start_group (or nginx's, whose master leads its own group).
stop_group() {
    local pid=$1 what=$2 name=$3 seconds=$4 i
    ours "$pid" "$what" || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    alive "$pid" && say "$name did not stop within ${seconds} s; killing it"
    # Anything left in the group (a child that outlived its leader) goes too.
    kill -KILL -- "-$pid" 2>/dev/null || true
}

nginx_binary() {
    command -v nginx 2>/dev/null && return
    [ -x /usr/sbin/nginx ] && { echo /usr/sbin/nginx; return; }
    return 1
}

# --------------------------------------------------------------------------------------- down

down() {
    local dir=$1 pidfile target
    if [ ! -e "$dir" ]; then
        say "nothing at $dir"
        return 0
    fi
    dir=$(cd "$dir" && pwd)
    # Never remove a folder this script did not make.
    [ -e "$dir/$MARKER" ] || fail "$dir was not made by $0 up; leaving it alone"
    # Workers first: on SIGTERM they finish the message in hand, and nothing new comes in.
    for pidfile in "$dir"/run/worker-*.pid; do
        if [ -s "$pidfile" ]; then
            stop_group "$(cat "$pidfile")" "-m portal deliver" "$(basename "$pidfile" .pid)" 40
        fi
    done
    if [ -s "$dir/nginx/nginx.pid" ]; then
        stop_group "$(cat "$dir/nginx/nginx.pid")" "nginx: master process" nginx 20
    fi
    for pidfile in "$dir"/run/replica-*.pid; do
        if [ -s "$pidfile" ]; then
            stop_group "$(cat "$pidfile")" "streamlit run app.py" "$(basename "$pidfile" .pid)" 20
        fi
    done
    if [ -L "$dir/postgres" ]; then
        "$root/scripts/pg_test_cluster.sh" stop "$(readlink "$dir/postgres")"
    fi
    if [ -L "$dir/nginx" ]; then
        target=$(readlink "$dir/nginx")
        case $target in */portal-nginx.*) rm -rf "$target" ;; esac
    fi
    rm -rf "$dir"
    say "stopped; $dir removed"
}

# ----------------------------------------------------------------------------------------- up

# Run a command in its own session and process group, with the portal's settings, logging to
# a file; its pid (which is also its group's id) goes to DIR/run/NAME.pid.
start_group() {
    local name=$1
    shift
    (
        set -a
        . "$dir/portal.env"
        set +a
        cd "$root"
        exec setsid "$@"
    ) >"$dir/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$dir/run/$name.pid"
}

wait_for_health() {
    local name=$1 url=$2 pid=${3:-} deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(curl -ksS --max-time 2 "$url/_stcore/health" 2>/dev/null)" = ok ]; then
            return 0
        fi
        if [ -n "$pid" ] && ! alive "$pid"; then
            tail -n 40 "$dir/logs/$name.log" >&2 || true
            fail "$name exited before answering on $url (its log: $dir/logs/$name.log)"
        fi
        sleep 0.3
    done
    [ -n "$pid" ] && tail -n 40 "$dir/logs/$name.log" >&2
    fail "$name did not answer $url/_stcore/health within $START_TIMEOUT s"
}

# Add a setting to DIR/portal.env, quoted for the shell that reads it back.
setting() {
    printf '%s=%q\n' "$1" "$2" >>"$dir/portal.env"
}

up() {
    dir=$1
    if [ -e "$dir/$MARKER" ]; then
        fail "$dir holds a loopback set already; stop it first: $0 down $dir"
    elif [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
        fail "$dir is not empty; choose a new folder"
    fi
    local nginx
    nginx=$(nginx_binary) || fail "nginx is not installed (Debian: apt-get install nginx)"
    command -v openssl >/dev/null || fail "openssl is not installed (Debian: apt-get install openssl)"
    command -v curl >/dev/null || fail "curl is not installed (Debian: apt-get install curl)"
    [ -x "$PY" ] || fail "$PY not found: run make install first (or set PY)"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    : >"$dir/$MARKER"
    trap 'status=$?; if [ $status -ne 0 ]; then say "up failed; stopping what was started"; down "$dir"; fi' EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$dir/run" "$dir/logs" "$dir/data"

    local ports replica1 replica2 https_port http_port
    ports=$("$PY" -c 'import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
    read -r replica1 replica2 https_port http_port <<<"$ports"
    local url=https://127.0.0.1:$https_port

    say "PostgreSQL"
    local pg_dir database_url
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/portal-pg.XXXXXX")
    ln -s "$pg_dir" "$dir/postgres"
    database_url=$("$root/scripts/pg_test_cluster.sh" start "$pg_dir")

    # Fresh secrets for every run: test data only.
    local key
    key=$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
    (umask 077 && : >"$dir/portal.env")
    echo "# Written by deploy/loopback.sh for a loopback trial; test data only." >>"$dir/portal.env"
    setting PORTAL_ENV production
    setting PORTAL_DATA_DIR "$dir/data"
    setting PORTAL_DATABASE_URL "$database_url"
    setting PORTAL_PUBLIC_URL "$url"
    setting PORTAL_SECRETS_FILE "$dir/no-secrets.toml"  # never a developer's own secrets file
    setting PORTAL_ENCRYPTION_KEYS "$key"
    setting PORTAL_LOOKUP_KEY "$(openssl rand -hex 32)"
    # As in production (deploy/portal.env.example): one cookie secret for every replica, the
    # host names websockets may use, and nginx as the only source of visitors' addresses.
    setting STREAMLIT_SERVER_COOKIE_SECRET "$(openssl rand -hex 32)"
    setting STREAMLIT_SERVER_ALLOWED_HOSTS "127.0.0.1 localhost"
    setting FORWARDED_ALLOW_IPS 127.0.0.1
    local name
    while IFS= read -r name; do
        case $name in
            PORTAL_DATA_DIR | PORTAL_DATABASE_URL) say "ignoring $name: the loopback brings its own" ;;
            *) setting "$name" "${!name}" ;;
        esac
    done < <(compgen -e | grep '^PORTAL_' || true)

    say "schema"
    start_group init-db "$PY" -m portal init-db
    wait "$(cat "$dir/run/init-db.pid")" || { cat "$dir/logs/init-db.log" >&2; fail "init-db failed"; }
    rm "$dir/run/init-db.pid"

    say "Streamlit replicas on ports $replica1 and $replica2"
    local port
    for port in "$replica1" "$replica2"; do
        start_group "replica-$port" "$PY" -m streamlit run app.py --server.address 127.0.0.1 \
            --server.port "$port" --server.headless true
    done
    for port in "$replica1" "$replica2"; do
        wait_for_health "replica-$port" "http://127.0.0.1:$port" "$(cat "$dir/run/replica-$port.pid")"
    done

    say "nginx on $url (HTTP on port $http_port redirects there)"
    start_nginx "$nginx"
    wait_for_health nginx "$url"

    say "two delivery workers"
    local n
    for n in 1 2; do
        start_group "worker-$n" "$PY" -m portal deliver
    done
    # A worker has no address to ask; one still running after its start-up (settings, database,
    # schema check) is in its delivery loop.
    sleep 3
    for n in 1 2; do
        alive "$(cat "$dir/run/worker-$n.pid")" \
            || { cat "$dir/logs/worker-$n.log" >&2; fail "delivery worker $n exited"; }
    done

    cat >"$dir/stack.env" <<EOF
PORTAL_URL=$url
HTTP_URL=http://127.0.0.1:$http_port
REPLICAS=127.0.0.1:$replica1,127.0.0.1:$replica2
DATABASE_URL=$database_url
ACCESS_LOG=$dir/nginx/logs/portal-access.log
NGINX_ERROR_LOG=$dir/nginx/logs/error.log
LOG_DIR=$dir/logs
PORTAL_ENV_FILE=$dir/portal.env
EOF
    trap - EXIT
    say "up: open $url (self-signed certificate); logs in $dir/logs and $dir/nginx/logs;"
    say "stop with: $0 down $dir"
}

start_nginx() {
    local nginx=$1 prefix user=""
    prefix=$(mktemp -d "${TMPDIR:-/tmp}/portal-nginx.XXXXXX")
    ln -s "$prefix" "$dir/nginx"
    mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tls" "$prefix/temp"

    # A certificate for 127.0.0.1 and localhost, valid for a week.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
        -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$prefix/tls/key.pem" -out "$prefix/tls/cert.pem" 2>"$prefix/logs/openssl.log" \
        || { cat "$prefix/logs/openssl.log" >&2; fail "openssl could not make a certificate"; }

    "$root/deploy/nginx/render.sh" --server-name 127.0.0.1 --server-name localhost \
        --replica "127.0.0.1:$replica1" --replica "127.0.0.1:$replica2" \
        --listen 127.0.0.1 --https-port "$https_port" --http-port "$http_port" \
        --cert "$prefix/tls/cert.pem" --key "$prefix/tls/key.pem" --log-dir "$prefix/logs" \
        >"$prefix/conf/portal.conf"
    # The loopback's own main file: everything an nginx outside /etc and /var needs, and then
    # the production site configuration as rendered above.
    cat >"$prefix/conf/nginx.conf" <<EOF
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events {
    worker_connections 512;
}
http {
    client_body_temp_path $prefix/temp/body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;
    include $prefix/conf/portal.conf;
}
EOF
    local run=()
    if [ "$(id -u)" = 0 ]; then
        if id www-data >/dev/null 2>&1; then user=www-data; else user=nobody; fi
        chown -R "$user:" "$prefix"
        run=(runuser -u "$user" --)
    fi
    # -e: the error log from the first line on (Debian's default would be the system's).
    "${run[@]}" "$nginx" -t -q -p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/conf/nginx.conf" \
        >"$prefix/logs/start.log" 2>&1 \
        || { cat "$prefix/logs/start.log" >&2; fail "nginx rejected $prefix/conf/nginx.conf"; }
    "${run[@]}" "$nginx" -p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/conf/nginx.conf" \
        >>"$prefix/logs/start.log" 2>&1 </dev/null \
        || { cat "$prefix/logs/start.log" "$prefix/logs/error.log" >&2; fail "nginx did not start"; }
}

[ $# -eq 2 ] || usage
case $1 in
    up) up "$2" ;;
    down) down "$2" ;;
    *) usage ;;
esac
