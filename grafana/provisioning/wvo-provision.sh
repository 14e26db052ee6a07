#!/bin/sh
# The compose stack's Grafana entrypoint: copies the provisioning beside this
# script into $GF_PATHS_PROVISIONING, leaving the Tempo datasource out unless
# WVO_TEMPO_URL is set (Grafana would otherwise provision a Tempo with no
# URL), then runs the given command (the image's /run.sh).
set -eu
source_dir=$(dirname "$0")
target=${GF_PATHS_PROVISIONING:?GF_PATHS_PROVISIONING must name the provisioning copy}
rm -rf "$target"
mkdir -p "$target"
cp -R "$source_dir/." "$target/"
rm -f "$target/wvo-provision.sh"
if [ -z "${WVO_TEMPO_URL:-}" ]; then
  rm -f "$target/datasources/tempo.yml"
fi
exec "$@"
