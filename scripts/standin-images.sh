#!/usr/bin/env bash
# Builds local stand-ins for the public images docker-compose.yml names, for a machine that
# reaches Debian's packages and the npm registry but no container registry:
#   node:20-bookworm-slim     Debian bookworm (debootstrap) + this machine's node and npm, user node (uid 1000)
#   prom/prometheus:TAG       Debian bookworm + Debian's prometheus (2.42), entrypoint /usr/bin/prometheus
#   prom/alertmanager:TAG     Debian bookworm + Debian's prometheus-alertmanager, entrypoint /usr/bin/prometheus-alertmanager
# Grafana has no Debian package: there is no stand-in for grafana/grafana.
# Starts dockerd (Debian's docker.io) when none answers. Usage: scripts/standin-images.sh [docker-compose.yml]
# The images trust this machine's CA bundle (a TLS-intercepting proxy between the build and the
# npm registry needs it). Tested on Debian 12 as root; .ci/run runs it before test/e2e/compose.test.ts.
# Where a registry is reachable none of this is needed: docker compose pulls the real images.
set -euo pipefail
compose=${1:-"$(dirname "$0")/../docker-compose.yml"}
if [ "$(id -u)" != 0 ]; then echo "standin-images.sh: run as root (apt-get, debootstrap, chroot, dockerd)" >&2; exit 2; fi
cache=${STANDIN_CACHE:-/var/cache/wvo-standin}
export DEBIAN_FRONTEND=noninteractive
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq; apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi
D=$(command -v docker)
if ! $D info >/dev/null 2>&1; then
  dockerd >/var/log/standin-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do $D info >/dev/null 2>&1 && break; sleep 0.5; done
  $D info >/dev/null
fi
tag_of() { grep -oE "image: *$1:[^ ]+" "$compose" | head -1 | sed 's/.*://'; }
prom_tag=$(tag_of prom/prometheus); am_tag=$(tag_of prom/alertmanager)
node_image=${NODE_IMAGE:-node:20-bookworm-slim}

mkdir -p "$cache"
if [ ! -x "$cache/base/bin/sh" ]; then
  rm -rf "$cache/base"
  debootstrap --variant=minbase bookworm "$cache/base" http://deb.debian.org/debian >/dev/null
fi
ca=/etc/ssl/certs/ca-certificates.crt
import() { # dir image [docker import -c ...]
  local dir=$1 image=$2; shift 2
  tar -C "$dir" -c . | $D import "$@" - "$image" >/dev/null
}

if ! $D image inspect "$node_image" >/dev/null 2>&1; then
  r=$(mktemp -d); cp -a "$cache/base/." "$r/"
  cp "$(command -v node)" "$r/usr/local/bin/node"
  mkdir -p "$r/usr/local/lib/node_modules"
  cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$r/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$r/usr/local/bin/npx"
  chroot "$r" sh -c 'groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/bash node'
  mkdir -p "$r/etc/ssl/certs"; cp "$ca" "$r/etc/ssl/certs/ca-certificates.crt"
  import "$r" "$node_image" -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "ENV NODE_EXTRA_CA_CERTS=$ca" -c 'CMD ["node"]'
  rm -rf "$r"
fi

if ! $D image inspect "prom/prometheus:$prom_tag" >/dev/null 2>&1 || ! $D image inspect "prom/alertmanager:$am_tag" >/dev/null 2>&1; then
  r=$(mktemp -d); cp -a "$cache/base/." "$r/"
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  chroot "$r" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null && apt-get clean'
  rm -rf "$r/var/lib/apt/lists/"*
  mkdir -p "$r/prometheus" "$r/alertmanager"; chown 65534:65534 "$r/prometheus" "$r/alertmanager"
  import "$r" "prom/prometheus:$prom_tag" -c 'USER 65534' -c 'WORKDIR /prometheus' -c 'ENTRYPOINT ["/usr/bin/prometheus"]'
  import "$r" "prom/alertmanager:$am_tag" -c 'USER 65534' -c 'WORKDIR /alertmanager' -c 'ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]'
  rm -rf "$r"
fi
echo "stand-ins ready: $node_image prom/prometheus:$prom_tag prom/alertmanager:$am_tag (no grafana/grafana)"
