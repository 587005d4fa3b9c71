#!/usr/bin/env bash
# (Re)writes the Go module that builds kube-apiserver, kube-controller-manager and
# kube-scheduler of one Kubernetes release:  update-kubernetes-module.sh v1.37.2
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces every k8s.io/<staging> module
# with ./staging/src/k8s.io/<staging>, and replace directives of a dependency are ignored. So the
# build module requires k8s.io/kubernetes at the release and replaces each staging module (the
# list is read from that release's own go.mod) with its published twin v0.<minor>.<patch>, plus
# any non-staging replace of the release. The three commands are `tool` directives of the module,
# so `go mod tidy` keeps exactly their dependency graph. Run it once per version bump and commit
# go.mod and go.sum; scripts/install-control-plane.sh builds from them.
set -euo pipefail
version=${1:?usage: $0 v1.<minor>.<patch>}
minor=$(echo "$version" | cut -d. -f2)
staging_version="v0.${version#v1.}"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/kubernetes-v1.$minor"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

k8s_dir=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -n "$k8s_dir" ] || { echo "cannot download k8s.io/kubernetes@$version" >&2; exit 1; }

rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
go mod init "db-platform/tools/control-plane/kubernetes-v1.$minor" 2>/dev/null
go mod edit -require "k8s.io/kubernetes@$version"
# Same language version and GODEBUG defaults as the release's own main module (a dependency's
# godebug lines are ignored); `go mod tidy` raises the go line if a dependency needs more.
go mod edit -go="$(go mod edit -json "$k8s_dir/go.mod" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).Go')"
go mod edit -json "$k8s_dir/go.mod" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const g of m.GoDebug ?? []) console.log(`${g.Key}=${g.Value}`);
' | while read -r kv; do go mod edit -godebug "$kv"; done
# Replaces of the release, as `old => new` pairs (block or single-line form).
go mod edit -json "$k8s_dir/go.mod" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of m.Replace ?? []) console.log(r.Old.Path, r.New.Path, r.New.Version ?? "");
' | while read -r old new newVersion; do
  if [[ $new == ./staging/* ]]; then
    go mod edit -replace "$old=$old@$staging_version"
  elif [ -n "$newVersion" ]; then
    go mod edit -replace "$old=$new@$newVersion"
  fi
done
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  go mod edit -tool "k8s.io/kubernetes/cmd/$cmd"
done
go mod tidy 2> >(grep -v "^go: downloading" >&2)
echo "wrote $dir/go.mod and go.sum for Kubernetes $version (staging modules at $staging_version)"
