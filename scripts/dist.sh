#!/usr/bin/env bash
# Builds the release archives behind `make dist`: for each OS/ARCH given,
# $DIST/pushio-$VERSION-OS-ARCH.tar.gz holding the static binary (built
# by `make build`, so with the same flags), config.yaml, deploy/, README.md,
# LICENSE when the repository has one, and a SHA256SUMS of those files;
# then $DIST/SHA256SUMS of the archives. Nothing in an archive needs Go or
# Node to run.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?}" "${COMMIT:?}" "${DIST:=dist}" "${MAKE:=make}"

mkdir -p "$DIST"
dist=$(cd "$DIST" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

extras=(config.yaml deploy README.md)
if [ -f LICENSE ]; then
  extras+=(LICENSE)
else
  echo "scripts/dist.sh: no LICENSE file in the repository; the archives go without one" >&2
fi

archives=()
for platform in "$@"; do
  os=${platform%/*} arch=${platform#*/}
  name=pushio-$VERSION-$os-$arch
  dir=$stage/$name
  mkdir -p "$dir"
  GOOS=$os GOARCH=$arch "$MAKE" --no-print-directory build BIN="$dir/pushio" VERSION="$VERSION" COMMIT="$COMMIT" >/dev/null
  cp -R "${extras[@]}" "$dir/"
  (cd "$dir" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum >SHA256SUMS)
  tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$dist/$name.tar.gz" "$name"
  archives+=("$name.tar.gz")
  echo "$DIST/$name.tar.gz"
done
(cd "$dist" && sha256sum "${archives[@]}" >SHA256SUMS)
echo "$DIST/SHA256SUMS"
