#!/usr/bin/env bash
# Builds a real Kubernetes control plane for the tests (packages/control-plane) from source with
# the machine's Go, at pinned versions, into a cache outside the repository:
#
#   ${DB_PLATFORM_CACHE:-$HOME/.cache/db-platform}/control-plane/
#     kubernetes-<version>/  kube-apiserver kube-controller-manager kube-scheduler
#     etcd-<version>/        etcd
#     kwok-<version>/        kwok, stages/ (the node, pod and volume lifecycle stages of that release)
#     manifest.json          what is built, read by @db/control-plane
#     logs/<piece>.log       output of the last build of each piece
#
# Idempotent: a piece already built at its pinned version (stamp: version + hash of its build
# module) is not rebuilt. Kubernetes and etcd are built from the Go modules under
# tools/control-plane/ (committed go.mod and go.sum; tools/control-plane/update-kubernetes-module.sh
# writes a Kubernetes one), because k8s.io/kubernetes and go.etcd.io/etcd replace their own
# modules with local folders and so cannot be `go install`ed. kwok has no replaces: `go install`.
#
# Kubernetes versions: the newest release, and 1.32, the oldest the platform supports (the pinned
# External Secrets 2.9.0 CRDs need CRD field selectors, GA in 1.32; on 1.28 the API server refuses
# them). 1.32.5 is the newest 1.32 patch whose staging modules the Go proxy serves complete. Cold (empty module and build caches) it takes ~12 min on 2 cores; a run
# with everything built takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

KUBERNETES_VERSIONS=(v1.37.2 v1.32.5)
ETCD_VERSION=v3.7.0 # what Kubernetes 1.37 pins (build/dependencies.yaml, hack/lib/etcd.sh)
KWOK_VERSION=v0.8.0

cache="${DB_PLATFORM_CACHE:-$HOME/.cache/db-platform}/control-plane"
mkdir -p "$cache/logs"
export CGO_ENABLED=0 GOTOOLCHAIN=local
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

stamp_of() { # version module-dir-or-empty
  local sum=none
  if [ -n "$2" ]; then sum=$(cat "$2/go.mod" "$2/go.sum" | sha256sum | cut -c1-16); fi
  echo "$1 module=$sum"
}
up_to_date() { # dir stamp binaries...
  local dir=$1 stamp=$2
  shift 2
  [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] || return 1
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

# Each build_* builds one piece into its cache folder (output: logs/<piece>.log) and returns 0
# when built, 10 when already built. They run where `set -e` does not apply (`cmd || status=$?`):
# every step that matters has `|| return 1`.
build_kubernetes() { # v1.<minor>.<patch>
  local version=$1 minor module dir ld
  minor=$(echo "$version" | cut -d. -f2)
  module="$root/tools/control-plane/kubernetes-v1.$minor"
  dir="$cache/kubernetes-${version#v}"
  grep -qE "k8s.io/kubernetes $version( |$)" "$module/go.mod" 2>/dev/null ||
    { echo "$module/go.mod does not require k8s.io/kubernetes $version (run tools/control-plane/update-kubernetes-module.sh $version)"; return 1; }
  if up_to_date "$dir" "$(stamp_of "$version" "$module")" kube-apiserver kube-controller-manager kube-scheduler; then return 10; fi
  # The version the binaries (and the API server's /version) report, as hack/lib/version.sh sets it.
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$module" && time go build -trimpath -p 2 -ldflags "$ld" -o "$dir/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler) || return 1
  "$dir/kube-apiserver" --version || return 1
  stamp_of "$version" "$module" >"$dir/.stamp"
}

build_etcd() {
  local module="$root/tools/control-plane/etcd-v3.7" dir="$cache/etcd-${ETCD_VERSION#v}"
  grep -qE "go.etcd.io/etcd/server/v3 $ETCD_VERSION( |$)" "$module/go.mod" || { echo "$module/go.mod does not require etcd server $ETCD_VERSION"; return 1; }
  if up_to_date "$dir" "$(stamp_of "$ETCD_VERSION" "$module")" etcd; then return 10; fi
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$module" && time go build -trimpath -p 2 -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$dir/etcd" go.etcd.io/etcd/server/v3) || return 1
  "$dir/etcd" --version || return 1
  stamp_of "$ETCD_VERSION" "$module" >"$dir/.stamp"
}

build_kwok() {
  local dir="$cache/kwok-${KWOK_VERSION#v}" built=0
  if ! up_to_date "$dir" "$(stamp_of "$KWOK_VERSION" "")" kwok; then
    rm -rf "$dir" && mkdir -p "$dir"
    time GOBIN="$dir" go install -trimpath -p 2 -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" || return 1
    "$dir/kwok" --version || return 1
    stamp_of "$KWOK_VERSION" "" >"$dir/.stamp"
    built=1
  fi
  # The release's lifecycle stages (kustomize/stage/...), copied next to the binary: node initialize
  # and heartbeat with a Lease (nodes stay Ready), pod ready / complete (Job pods) / delete, volume
  # provision / bind / delete; all "fast" (no delays). The harness adapts the volume ones.
  local stages="node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete volume/fast/pvc-provision volume/fast/pvc-delete volume/fast/pv-bind volume/fast/pv-delete"
  [ "$(cat "$dir/stages/.copied" 2>/dev/null)" = "$stages" ] && [ "$built" = 0 ] && return 10
  local src s
  src=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  rm -rf "$dir/stages" && mkdir -p "$dir/stages"
  for s in $stages; do cp "$src/kustomize/stage/$s.yaml" "$dir/stages/" || return 1; done
  chmod -R u+w "$dir/stages"
  echo "$stages" >"$dir/stages/.copied"
  [ "$built" = 1 ] || return 10
}

# piece name, version, build command...: runs it, logging, and records the outcome.
piece() {
  local name=$1 version=$2 start status=0
  shift 2
  local log="$cache/logs/$name-${version#v}.log"
  start=$SECONDS
  "$@" >"$results/log" 2>&1 || status=$?
  [ "$status" = 10 ] || mv "$results/log" "$log" # a cached piece keeps the log of its build
  case $status in
    0) echo "built $name $version in $((SECONDS - start)) s ($(grep -E '^(real|user|sys)' "$log" | tr -s '\t ' ' ' | paste -sd, - | sed 's/,/, /g'))"
       printf '%-24s %-9s built in %4d s\n' "$name" "$version" $((SECONDS - start)) >"$results/$name-$version" ;;
    10) echo "$name $version already built"
        printf '%-24s %-9s cached\n' "$name" "$version" >"$results/$name-$version" ;;
    *) echo "FAILED $name $version after $((SECONDS - start)) s; the end of $log:" >&2
       tail -n 40 "$log" >&2
       return 1 ;;
  esac
}

echo "Building the control plane into $cache with $(go env GOVERSION) (logs in $cache/logs)"
total_start=$SECONDS
# One piece at a time, each `go build -p 2`: the CPU is busy all along (~93 % of 2 cores cold), and
# etcd right after Kubernetes 1.37 reuses most of its compiled packages (same gRPC, etcd client...).
status=0
piece kubernetes "${KUBERNETES_VERSIONS[0]}" build_kubernetes "${KUBERNETES_VERSIONS[0]}" || status=1
piece etcd "$ETCD_VERSION" build_etcd || status=1
for v in "${KUBERNETES_VERSIONS[@]:1}"; do piece kubernetes "$v" build_kubernetes "$v" || status=1; done
piece kwok "$KWOK_VERSION" build_kwok || status=1
[ "$status" = 0 ] || { echo "control plane build failed" >&2; exit 1; }

# What the harness reads: only the pinned pieces, whatever else lingers in the cache.
{
  echo '{'
  echo "  \"etcd\": { \"version\": \"${ETCD_VERSION#v}\", \"bin\": \"$cache/etcd-${ETCD_VERSION#v}/etcd\" },"
  echo "  \"kwok\": { \"version\": \"${KWOK_VERSION#v}\", \"bin\": \"$cache/kwok-${KWOK_VERSION#v}/kwok\", \"stages\": \"$cache/kwok-${KWOK_VERSION#v}/stages\" },"
  echo '  "kubernetes": ['
  sep=""
  for v in "${KUBERNETES_VERSIONS[@]}"; do
    printf '%s    { "version": "%s", "binDir": "%s" }' "$sep" "${v#v}" "$cache/kubernetes-${v#v}"
    sep=$',\n'
  done
  printf '\n  ]\n}\n'
} >"$cache/manifest.json.tmp"
mv "$cache/manifest.json.tmp" "$cache/manifest.json"

echo
echo "Control plane in $cache ($((SECONDS - total_start)) s):"
for v in "${KUBERNETES_VERSIONS[@]}"; do sed 's/^/  /' "$results/kubernetes-$v"; done
sed 's/^/  /' "$results/etcd-$ETCD_VERSION" "$results/kwok-$KWOK_VERSION"
