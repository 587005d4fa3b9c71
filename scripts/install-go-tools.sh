#!/usr/bin/env bash
# Builds the Go tools the checks run (Helm, kubeconform, kube-score, cyclonus) and the Prometheus exporters
# the dashboard tests scrape (redis_exporter, mysqld_exporter, postgres_exporter: the versions of
# the images we render), and Vault, which the rotation chain tests run for real (vault server
# -dev), with the machine's Go toolchain, at pinned versions, into $GOBIN (default:
# $(go env GOPATH)/bin). Idempotent: a tool already at its pinned version is not rebuilt.
#
# kube-linter is not installable here: the Go module proxy refuses golang.stackrox.io/kube-linter
# (403) and no other registry carries it. kube-score, a Go-built workload linter with the same
# role, runs in its place, next to the project's own Pod Security / workload posture test.
set -euo pipefail

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.7.0
KUBE_SCORE_VERSION=v1.20.0
# cyclonus evaluates the rendered NetworkPolicies offline (`cyclonus analyze --mode query-traffic`):
# packages/control-plane/test/network-policy.test.ts. Its go.mod has no replace directives.
CYCLONUS_VERSION=v0.5.6

gobin="${GOBIN:-$(go env GOPATH)/bin}"
mkdir -p "$gobin"

# module@version  binary  command that prints the installed version
install() {
  local pkg=$1 version=$2 bin=$3
  local stamp="$gobin/.$bin.version"
  if [ -x "$gobin/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    echo "$bin $version already installed"
    return
  fi
  echo "building $bin $version"
  GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath "$pkg@$version"
  echo "$version" >"$stamp"
}

# The exporters cannot be `go install`ed at a version: the module proxy refuses their @v/list,
# which `go install pkg@version` reads for deprecations. Each builds from a module of ours,
# tools/exporters/<name>/, whose committed go.mod requires it and whose go.sum pins every module.
#   - redis_exporter: the checksum database does not carry it; the committed go.sum line is the check.
#   - mysqld_exporter: the proxy serves v0.17.2's .mod and .zip but refuses its .info, which the go
#     command asks for first. So the .mod and .zip are fetched into a local file proxy beside a
#     written .info; the go command still verifies the zip against go.sum and sum.golang.org.
# module-dir  package  version  binary
build_module() {
  local dir=$1 pkg=$2 version=$3 bin=$4 want
  want=$(module_stamp "$dir" "$version")
  if installed "$bin" "$want"; then
    echo "$bin $version already installed"
    return
  fi
  echo "building $bin $version"
  (cd "$dir" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -p 2 -ldflags "-s -w" -o "$gobin/$bin" "$pkg")
  echo "$want" >"$gobin/.$bin.version"
}
# The stamp of a build: the version, and a hash of the build module (go.mod, go.sum, and the
# patch of a patched module, if any).
module_stamp() { echo "$2 module=$(cat "$1/go.mod" "$1/go.sum" "$1"/*.patch 2>/dev/null | sha256sum | cut -c1-16)"; }
installed() { [ -x "$gobin/$1" ] && [ "$(cat "$gobin/.$1.version" 2>/dev/null)" = "$2" ]; }

# module version folder patch: the module's zip (from the proxy, checked against
# sum.golang.org by the go command) unpacked into folder, with the patch applied.
patched_module() {
  local module=$1 version=$2 folder=$3 patch=$4 src outside
  outside=$(mktemp -d) # not inside a module, where the module could be replaced
  src=$(cd "$outside" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  rmdir "$outside"
  [ -n "$src" ] || { echo "cannot download $module@$version" >&2; return 1; }
  rm -rf "$folder" && cp -r "$src" "$folder" && chmod -R u+w "$folder"
  (cd "$folder" && git apply -p1 "$patch")
}

local_proxy="${DB_PLATFORM_CACHE:-$HOME/.cache/db-platform}/goproxy"
# module version: fetch .mod and .zip from the public proxy into the local one, write the .info.
proxy_locally() {
  local module=$1 version=$2 at
  at="$local_proxy/$module/@v"
  mkdir -p "$at"
  for ext in mod zip; do
    [ -s "$at/$version.$ext" ] || curl -sSf --retry 3 -o "$at/$version.$ext" "https://proxy.golang.org/$module/@v/$version.$ext"
  done
  printf '{"Version":"%s"}\n' "$version" >"$at/$version.info"
}

install helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm
install github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" kubeconform
install github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" kube-score
install github.com/mattfenwick/cyclonus/cmd/cyclonus "$CYCLONUS_VERSION" cyclonus
here=$(cd "$(dirname "$0")/.." && pwd)
GONOSUMDB=github.com/oliver006/redis_exporter \
  build_module "$here/tools/exporters/redis-exporter-v1.62" github.com/oliver006/redis_exporter v1.62.0 redis_exporter
proxy_locally github.com/prometheus/mysqld_exporter v0.17.2
GOPROXY="file://$local_proxy,https://proxy.golang.org" \
  build_module "$here/tools/exporters/mysqld-exporter-v0.17" github.com/prometheus/mysqld_exporter v0.17.2 mysqld_exporter
build_module "$here/tools/exporters/postgres-exporter-v0.17" github.com/prometheus-community/postgres_exporter/cmd/postgres_exporter v0.17.1 postgres_exporter
# Vault: its go.mod replaces its own api and sdk modules with folders the module zip lacks, so it
# builds from tools/vault/vault-v1.21 (tools/vault/README.md): api at its published version, sdk
# v0.21.0 patched to the release's in-tree signature (sdk.patch). Cold: 630 MB of modules and
# about 13 minutes on 2 cores.
vault_module="$here/tools/vault/vault-v1.21"
if ! installed vault "$(module_stamp "$vault_module" v1.21.4)"; then
  patched_module github.com/hashicorp/vault/sdk v0.21.0 "$vault_module/sdk" "$vault_module/sdk.patch"
fi
build_module "$vault_module" github.com/hashicorp/vault v1.21.4 vault
echo "Go tools in $gobin"
