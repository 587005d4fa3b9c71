#!/usr/bin/env bash
# Builds Flux's kustomize-controller for the tests (packages/control-plane/test/flux.test.ts) from
# source with the machine's Go, at the pinned version, into a cache outside the repository:
#
#   ${DB_PLATFORM_CACHE:-$HOME/.cache/db-platform}/flux/
#     kustomize-controller-<version>/  kustomize-controller, crds/ (the source CRDs it watches that
#                                      schemas/crds/flux does not vendor: Bucket)
#     manifest.json                    what is built, read by @db/control-plane (src/flux.ts)
#     logs/<piece>.log                 output of the last build
#
# Idempotent: a controller already built at its pinned version (stamp: version + hash of its build
# module + source-controller version of the CRDs) is not rebuilt. It is built from the Go module
# tools/flux/kustomize-controller-v1.9/ (committed go.mod and go.sum), because
# github.com/fluxcd/kustomize-controller replaces its ./api module (and pins go-digest, kustomize
# and yaml.v3 by replace) and so cannot be `go install`ed.
#
# Only kustomize-controller: the tests stand in for source-controller (the GitRepository's status
# and artifact) and helm-controller (the HelmReleases' status), see test/flux-harness.ts.
# Cold (empty module and build caches) it takes ~5 min on 2 cores; a run with everything built
# takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

KUSTOMIZE_CONTROLLER_VERSION=v1.9.4 # schemas/crds/SOURCES.md: Flux kustomize-controller 1.9.4
SOURCE_CONTROLLER_VERSION=v1.9.1    # schemas/crds/SOURCES.md: source-controller 1.9.1 (CRDs only)
# Source CRDs the controller watches (internal/controller/kustomization_manager.go: OCIRepository,
# GitRepository, Bucket) that schemas/crds/flux does not vendor; without them it never starts.
SOURCE_CRDS="source.toolkit.fluxcd.io_buckets.yaml"

cache="${DB_PLATFORM_CACHE:-$HOME/.cache/db-platform}/flux"
module="$root/tools/flux/kustomize-controller-v1.9"
dir="$cache/kustomize-controller-${KUSTOMIZE_CONTROLLER_VERSION#v}"
log="$cache/logs/kustomize-controller-${KUSTOMIZE_CONTROLLER_VERSION#v}.log"
mkdir -p "$cache/logs"
export CGO_ENABLED=0 GOTOOLCHAIN=local # as upstream's Dockerfile: CGO_ENABLED=0 go build -trimpath

grep -qE "github.com/fluxcd/kustomize-controller $KUSTOMIZE_CONTROLLER_VERSION( |$)" "$module/go.mod" ||
  { echo "$module/go.mod does not require github.com/fluxcd/kustomize-controller $KUSTOMIZE_CONTROLLER_VERSION" >&2; exit 1; }
stamp="$KUSTOMIZE_CONTROLLER_VERSION module=$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -c1-16) source-crds=$SOURCE_CONTROLLER_VERSION:$SOURCE_CRDS"

build() {
  rm -rf "$dir" && mkdir -p "$dir/crds"
  (cd "$module" && time go build -trimpath -p 2 -ldflags "-s -w" -o "$dir/kustomize-controller" github.com/fluxcd/kustomize-controller) || return 1
  # It has no --version: its flags parse and it prints them.
  "$dir/kustomize-controller" --help 2>&1 | grep -q -- '--requeue-dependency' || { echo "$dir/kustomize-controller --help does not list --requeue-dependency"; return 1; }
  local src f
  src=$(cd "$module" && go mod download -json "github.com/fluxcd/source-controller@$SOURCE_CONTROLLER_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] || { echo "go mod download github.com/fluxcd/source-controller@$SOURCE_CONTROLLER_VERSION gave no folder"; return 1; }
  for f in $SOURCE_CRDS; do cp "$src/config/crd/bases/$f" "$dir/crds/" || return 1; done
  chmod -R u+w "$dir/crds"
  echo "$stamp" >"$dir/.stamp"
}

up_to_date() {
  [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$dir/kustomize-controller" ] || return 1
  local f
  for f in $SOURCE_CRDS; do [ -f "$dir/crds/$f" ] || return 1; done
}

start=$SECONDS
if up_to_date; then
  echo "kustomize-controller $KUSTOMIZE_CONTROLLER_VERSION already built in $dir"
else
  echo "Building kustomize-controller $KUSTOMIZE_CONTROLLER_VERSION into $dir with $(go env GOVERSION) (log: $log)"
  if ! build >"$log" 2>&1; then
    echo "FAILED kustomize-controller $KUSTOMIZE_CONTROLLER_VERSION after $((SECONDS - start)) s; the end of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  echo "built kustomize-controller $KUSTOMIZE_CONTROLLER_VERSION in $((SECONDS - start)) s ($(grep -E '^(real|user|sys)' "$log" | tr -s '\t ' ' ' | paste -sd, - | sed 's/,/, /g'))"
fi

# What the harness reads: only the pinned pieces, whatever else lingers in the cache.
cat >"$cache/manifest.json.tmp" <<EOF
{
  "kustomizeController": { "version": "${KUSTOMIZE_CONTROLLER_VERSION#v}", "bin": "$dir/kustomize-controller" },
  "sourceCrds": { "version": "${SOURCE_CONTROLLER_VERSION#v}", "dir": "$dir/crds", "files": [$(printf '"%s"' $SOURCE_CRDS | sed 's/""/", "/g')] }
}
EOF
mv "$cache/manifest.json.tmp" "$cache/manifest.json"
echo "Flux in $cache ($((SECONDS - start)) s)"
