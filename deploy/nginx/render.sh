#!/usr/bin/env bash
# Render deploy/nginx/portal.conf.template into an nginx configuration (http context), on stdout.
#
#   deploy/nginx/render.sh --server-name portal.example.org > /etc/nginx/conf.d/portal.conf
#
# Options (defaults are a production machine with two replicas on 8501 and 8502):
#   --server-name NAME   the site's host name; repeat for more names (the first is the canonical
#                        one HTTP redirects to); required
#   --replica HOST:PORT  a Streamlit replica; repeat for each (default 127.0.0.1:8501, :8502)
#   --listen ADDRESS     address to listen on; repeat for more (default 0.0.0.0 and [::])
#   --https-port N       default 443
#   --http-port N        default 80; it only redirects to HTTPS
#   --cert PATH          certificate chain (default /etc/letsencrypt/live/NAME/fullchain.pem)
#   --key PATH           its private key (default /etc/letsencrypt/live/NAME/privkey.pem)
#   --log-dir DIR        where portal-access.log goes (default /var/log/nginx)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
template=$here/portal.conf.template

die() { echo "render.sh: $*" >&2; exit 2; }

names=() replicas=() listens=()
https_port=443 http_port=80 cert="" key="" log_dir=/var/log/nginx
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
        --server-name) names+=("$2") ;;
        --replica) replicas+=("$2") ;;
        --listen) listens+=("$2") ;;
        --https-port) https_port=$2 ;;
        --http-port) http_port=$2 ;;
        --cert) cert=$2 ;;
        --key) key=$2 ;;
        --log-dir) log_dir=$2 ;;
        *) die "unknown option $1 (see the comment at the top of this script)" ;;
    esac
    shift 2
done
[ ${#names[@]} -gt 0 ] || die "--server-name is required"
[ ${#replicas[@]} -gt 0 ] || replicas=(127.0.0.1:8501 127.0.0.1:8502)
[ ${#listens[@]} -gt 0 ] || listens=(0.0.0.0 "[::]")
cert=${cert:-/etc/letsencrypt/live/${names[0]}/fullchain.pem}
key=${key:-/etc/letsencrypt/live/${names[0]}/privkey.pem}

# Every value lands inside an nginx directive: refuse anything that could end or open one.
for value in "${names[@]}" "${replicas[@]}" "${listens[@]}" "$https_port" "$http_port" \
             "$cert" "$key" "$log_dir"; do
    case $value in
        "" | *[[:space:]\;\{\}\"\'\$\#]*) die "unsafe or empty value: '$value'" ;;
    esac
done
for port in "$https_port" "$http_port"; do
    case $port in *[!0-9]*) die "a port must be a number: '$port'" ;; esac
done

SERVER_NAME="${names[*]}"
TLS_CERT=$cert
TLS_KEY=$key
LOG_DIR=$log_dir
HTTPS_PORT_SUFFIX=""
[ "$https_port" = 443 ] || HTTPS_PORT_SUFFIX=":$https_port"
REPLICA_SERVERS=""
for replica in "${replicas[@]}"; do
    REPLICA_SERVERS+="    server $replica max_fails=3 fail_timeout=10s;"$'\n'
done
REPLICA_SERVERS=${REPLICA_SERVERS%$'\n'}
export SERVER_NAME TLS_CERT TLS_KEY LOG_DIR HTTPS_PORT_SUFFIX REPLICA_SERVERS

# One `listen` line per address: the template has one line per server, expanded here.
render_listens() {
    local line address
    while IFS= read -r line; do
        case $line in
            *'${HTTPS_LISTEN}'*)
                for address in "${listens[@]}"; do echo "${line//'${HTTPS_LISTEN}'/$address:$https_port}"; done ;;
            *'${HTTP_LISTEN}'*)
                for address in "${listens[@]}"; do echo "${line//'${HTTP_LISTEN}'/$address:$http_port}"; done ;;
            *) printf '%s\n' "$line" ;;
        esac
    done
}

# Only these names are replaced: the template's own $variables belong to nginx.
render_listens <"$template" \
    | envsubst '${SERVER_NAME} ${TLS_CERT} ${TLS_KEY} ${LOG_DIR} ${HTTPS_PORT_SUFFIX} ${REPLICA_SERVERS}'
