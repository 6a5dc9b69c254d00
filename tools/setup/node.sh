#!/usr/bin/env bash
# The pinned Node.js (.nvmrc), from npm's node-linux-<arch> package (npm pack checks the
# registry's integrity hash); the system's npm (any version) only downloads it.
#   node.sh              prints the bin folder the Makefile puts first on PATH: node and npm
#                        (the one npm line that fits it, NPM_VERSION below) in .cache/node/<version>-<arch>;
#                        prints nothing when the machine's node and npm already are those versions
#   node.sh --dist ARCH  prints a folder holding only bin/node and share/doc/node/LICENSE for
#                        ARCH (amd64 or arm64), what the product image copies to /usr/local
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE_VERSION=$(tr -d ' \nv' <"$ROOT/.nvmrc")
NPM_VERSION=11.21.2
die() { echo "node.sh: $*" >&2; exit 1; }
[[ $NODE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die ".nvmrc holds '$NODE_VERSION', not a version like 24.22.3"

pack() { # dir pkg@version... ; npm pack into dir
  command -v npm >/dev/null || die "npm is needed once to fetch node $NODE_VERSION"
  (cd "$1" && shift && npm pack --silent "$@" >/dev/null 2>pack.log) || die "npm pack $* failed: $(tail -n 1 "$1/pack.log")"
}

if [[ ${1:-} == --dist ]]; then
  case ${2:-} in
    amd64) arch=x64 ;;
    arm64) arch=arm64 ;;
    *) die "--dist needs amd64 or arm64, not '${2:-}'" ;;
  esac
  DIR=$ROOT/.cache/node/dist-$NODE_VERSION-$arch
  if [[ ! -x $DIR/bin/node ]]; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    pack "$tmp" "node-linux-$arch@$NODE_VERSION"
    tar -xzf "$tmp/node-linux-$arch-$NODE_VERSION.tgz" -C "$tmp" package/bin/node package/LICENSE \
      || die "node-linux-$arch-$NODE_VERSION.tgz holds no package/bin/node"
    rm -rf "$DIR.new" && mkdir -p "$DIR.new/bin" "$DIR.new/share/doc/node"
    install -m 0755 "$tmp/package/bin/node" "$DIR.new/bin/node"
    install -m 0644 "$tmp/package/LICENSE" "$DIR.new/share/doc/node/LICENSE"
    rm -rf "$DIR" && mv "$DIR.new" "$DIR"
  fi
  echo "$DIR"
  exit 0
fi
[[ $# -eq 0 ]] || die "unknown argument '$1' (none, or --dist ARCH)"

if [ "$(node --version 2>/dev/null || true)" = "v$NODE_VERSION" ] && [ "$(npm --version 2>/dev/null || true)" = "$NPM_VERSION" ]; then
  exit 0
fi
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no node-linux package for $(uname -m)" ;;
esac
DIR=$ROOT/.cache/node/$NODE_VERSION-$arch
if [ ! -x "$DIR/bin/node" ] || [ "$("$DIR/bin/node" --version)" != "v$NODE_VERSION" ] || [ ! -f "$DIR/.npm-$NPM_VERSION" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "node.sh: fetching node $NODE_VERSION ($arch) and npm $NPM_VERSION into $DIR" >&2
  pack "$tmp" "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION"
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
