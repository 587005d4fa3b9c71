#!/usr/bin/env bash
# Builds the Go tools the checks run (Helm, kubeconform, kube-score) with the machine's Go
# toolchain, at pinned versions, into $GOBIN (default: $(go env GOPATH)/bin). Idempotent:
# a tool already at its pinned version is not rebuilt.
#
# kube-linter is not installable here: the Go module proxy refuses golang.stackrox.io/kube-linter
# (403) and no other registry carries it. kube-score, a Go-built workload linter with the same
# role, runs in its place, next to the project's own Pod Security / workload posture test.
set -euo pipefail

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.7.0
KUBE_SCORE_VERSION=v1.20.0

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

install helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm
install github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" kubeconform
install github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" kube-score
echo "Go tools in $gobin"
