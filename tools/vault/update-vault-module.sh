#!/usr/bin/env bash
# (Re)writes the Go module that builds the `vault` binary of one Vault release:
#   tools/vault/update-vault-module.sh v1.21.4
#
# github.com/hashicorp/vault cannot be `go install`ed: its go.mod replaces its own nested modules
# (api, api/auth/{approle,kubernetes,userpass}, sdk) with ./api etc., which the module zip does
# not contain, and a dependency's replace directives are ignored anyway. So the build module
# requires github.com/hashicorp/vault at the release and takes the nested modules at the
# published versions the release's own go.mod requires (no replace: the require is the version);
# the release's non-local replaces (keyring, signedxml) are copied. The binary is a `tool`
# directive of the module, so `go mod tidy` keeps exactly its dependency graph. Run once per
# version bump and commit go.mod and go.sum; scripts/install-go-tools.sh builds from them.
#
# A nested module that no published version matches (the release's in-tree copy differs from
# every tag) is replaced by ./<name>, which scripts/install-go-tools.sh fills with a published
# version plus the patch <name>.patch of this folder (kept across runs):
#   v1.21.4: sdk (sdk.patch explains why).
set -euo pipefail
version=${1:?usage: $0 v1.<minor>.<patch>}
declare -A NESTED_OVERRIDES=([v1.21.4]="github.com/hashicorp/vault/sdk=./sdk")
minor=$(echo "$version" | cut -d. -f2)
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/vault-v1.$minor"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

vault_dir=$(go mod download -json "github.com/hashicorp/vault@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -n "$vault_dir" ] || { echo "cannot download github.com/hashicorp/vault@$version" >&2; exit 1; }

mkdir -p "$dir" && cd "$dir" && rm -f go.mod go.sum
go mod init "db-platform/tools/vault/vault-v1.$minor" 2>/dev/null
go mod edit -require "github.com/hashicorp/vault@$version"
go mod edit -go="$(go mod edit -json "$vault_dir/go.mod" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).Go')"
go mod edit -json "$vault_dir/go.mod" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const g of m.Godebug ?? []) console.log(`${g.Key}=${g.Value}`);
' | while read -r kv; do go mod edit -godebug "$kv"; done
# Replaces of the release, as `old[@oldVersion] new newVersion` (local ones are skipped: the
# release's require of that module, a published version, applies instead).
go mod edit -json "$vault_dir/go.mod" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of m.Replace ?? []) console.log(r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : ""), r.New.Path, r.New.Version ?? "");
' | while read -r old new newVersion; do
  if [[ $new == ./* ]]; then
    echo "local replace $old => $new: using the published version the release requires"
  else
    go mod edit -replace "$old=$new@$newVersion"
  fi
done
for r in ${NESTED_OVERRIDES[$version]:-}; do go mod edit -replace "$r"; done
go mod edit -tool github.com/hashicorp/vault
# -e: tests of the release's packages import sdk test helpers newer than the pinned sdk; only
# the binary's packages must resolve, and the build (-mod=readonly) checks that they do.
go mod tidy -e 2> >(grep -v "^go: downloading" >&2)
grep -E 'hashicorp/vault/(api|sdk)' go.mod
echo "wrote $dir/go.mod and go.sum for Vault $version"
