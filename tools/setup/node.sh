#!/usr/bin/env bash
# Prints the bin folder of the pinned Node.js (.nvmrc) for the Makefile to put first on PATH.
# A machine whose `node` already is that version uses its own (prints nothing). Otherwise the
# runtime comes from npm's node-linux-<arch> package and npm from the `npm` package (the one
# npm line that fits it, NPM_VERSION below), unpacked once into .cache/node/<version>; the system's
# npm (any version) only downloads them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE_VERSION=$(tr -d ' \nv' <"$ROOT/.nvmrc")
NPM_VERSION=11.21.2

if [ "$(node --version 2>/dev/null || true)" = "v$NODE_VERSION" ] && [ "$(npm --version 2>/dev/null || true)" = "$NPM_VERSION" ]; then
  exit 0
fi
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node.sh: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
DIR=$ROOT/.cache/node/$NODE_VERSION-$arch
if [ ! -x "$DIR/bin/node" ] || [ "$("$DIR/bin/node" --version)" != "v$NODE_VERSION" ] || [ ! -f "$DIR/.npm-$NPM_VERSION" ]; then
  command -v npm >/dev/null || { echo "node.sh: npm is needed once to fetch node $NODE_VERSION" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "node.sh: fetching node $NODE_VERSION ($arch) and npm $NPM_VERSION into $DIR" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$tmp/node" "$tmp/npm"
  tar -xzf "$tmp/node-linux-$arch-$NODE_VERSION.tgz" -C "$tmp/node" --strip-components=1
  tar -xzf "$tmp/npm-$NPM_VERSION.tgz" -C "$tmp/npm" --strip-components=1
  rm -rf "$DIR.new" && mkdir -p "$DIR.new/bin" "$DIR.new/lib/node_modules"
  install -m 0755 "$tmp/node/bin/node" "$DIR.new/bin/node"
  mv "$tmp/npm" "$DIR.new/lib/node_modules/npm"
  # The layout of Node's own tarball, so npm finds its prefix and global folder as usual.
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$DIR.new/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$DIR.new/bin/npx"
  touch "$DIR.new/.npm-$NPM_VERSION"
  rm -rf "$DIR" && mv "$DIR.new" "$DIR"
fi
echo "$DIR/bin"
