#!/usr/bin/env bash
# Creates the TLS material of a raftsimple cluster: one CA, and per node a key and a certificate
# signed by it, usable both as a server and as a client certificate (mutual TLS between peers).
#
#   deploy/gen-certs.sh [-o outdir] [-f] [name[:extra-san,...] ...]
#
#   -o outdir  where to write (default: certs)
#   -f         replace existing files (default: keep them; the script is idempotent)
#   name       node id (default: n1 n2 n3); extra SANs after ':' are IPs or DNS names, e.g.
#              n1:10.0.0.11,node1.example.org
#
# Writes outdir/ca.crt, ca.key (created once, kept unless -f), and outdir/<name>.crt, <name>.key
# with SAN DNS:localhost, IP:127.0.0.1 plus the extras, EKU serverAuth+clientAuth. EC P-256 keys,
# 10-year validity, key files mode 600. A node config then points at them:
#   "tls": {"enabled": true, "certPath": "certs/n1.crt", "keyPath": "certs/n1.key",
#           "caPath": "certs/ca.crt"}
set -euo pipefail

DAYS=3650
outdir=certs
force=0

usage() {
  # The header comment, up to the first line that is not a comment.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

die() {
  echo "gen-certs.sh: $*" >&2
  exit 1
}

while getopts ":o:fh" opt; do
  case "$opt" in
    o) outdir=$OPTARG ;;
    f) force=1 ;;
    h) usage; exit 0 ;;
    :) die "-$OPTARG needs a value" ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ $# -eq 0 ]]; then
  set -- n1 n2 n3
fi

command -v openssl >/dev/null 2>&1 || die "openssl is required (apt-get install openssl)"
mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/.gen-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077 # keys are created owner-only; certificates are opened up below

# Prints "IP:x" for an IPv4/IPv6 literal, "DNS:x" otherwise.
san_entry() {
  if [[ $1 =~ ^[0-9]+(\.[0-9]+){3}$ || $1 == *:* ]]; then
    echo "IP:$1"
  else
    echo "DNS:$1"
  fi
}

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# Moves a finished file into outdir with its final mode.
install_file() {
  chmod "$2" "$1"
  mv -f "$1" "$outdir/$(basename "$1")"
}

ca_created=0
make_ca() {
  if [[ $force -eq 0 && -f $outdir/ca.crt && -f $outdir/ca.key ]]; then
    echo "kept    $outdir/ca.crt"
    return
  fi
  new_key "$tmp/ca.key"
  openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days "$DAYS" \
    -subj "/CN=raftsimple CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$tmp/ca.crt"
  install_file "$tmp/ca.key" 600
  install_file "$tmp/ca.crt" 644
  ca_created=1
  echo "created $outdir/ca.crt"
}

check_name() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] || die "not a valid node id: '$1'"
}

make_node() {
  local spec=$1 name extras san entry
  name=${spec%%:*}
  extras=""
  if [[ $spec == *:* ]]; then
    extras=${spec#*:}
  fi
  # Kept only while still signed by the current CA (a new CA invalidates the old certificates).
  if [[ $force -eq 0 && -f $outdir/$name.crt && -f $outdir/$name.key ]] \
    && openssl verify -CAfile "$outdir/ca.crt" "$outdir/$name.crt" >/dev/null 2>&1; then
    echo "kept    $outdir/$name.crt"
    return
  fi
  san="DNS:localhost,IP:127.0.0.1"
  if [[ -n $extras ]]; then
    local IFS=','
    for entry in $extras; do
      [[ -n $entry ]] && san="$san,$(san_entry "$entry")"
    done
  fi
  new_key "$tmp/$name.key"
  openssl req -new -key "$tmp/$name.key" -subj "/CN=$name" -out "$tmp/$name.csr"
  cat >"$tmp/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EXT
  openssl x509 -req -in "$tmp/$name.csr" -CA "$outdir/ca.crt" -CAkey "$outdir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 \
    -extfile "$tmp/$name.ext" -out "$tmp/$name.crt" 2>/dev/null
  install_file "$tmp/$name.key" 600
  install_file "$tmp/$name.crt" 644
  echo "created $outdir/$name.crt ($san)"
}

for spec in "$@"; do
  check_name "${spec%%:*}"
done
make_ca
for spec in "$@"; do
  make_node "$spec"
done

# A new CA invalidates certificates of nodes not named in this run.
if [[ $ca_created -eq 1 ]]; then
  for crt in "$outdir"/*.crt; do
    base=$(basename "$crt" .crt)
    [[ $base == ca ]] && continue
    if ! openssl verify -CAfile "$outdir/ca.crt" "$crt" >/dev/null 2>&1; then
      echo "warning: $crt is not signed by the new CA; regenerate it (gen-certs.sh -o $outdir $base)" >&2
    fi
  done
fi
