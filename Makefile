# The two commands: `make demo` and `make test`. Everything they need is
# installed by the targets below on a fresh machine.
SHELL := /bin/bash
export NX_DAEMON := false
export NX_NO_CLOUD := true
export NX_TUI := false
export npm_config_loglevel := error
export npm_config_fund := false
export npm_config_audit := false

NODE_BIN := node_modules/.bin

# One Node.js line everywhere (.nvmrc): a machine whose node is another version gets the pinned
# one in .cache/node, first on PATH for every target, npm script, test, benchmark and the demo.
PINNED_NODE_BIN := $(shell bash tools/setup/node.sh)
ifneq ($(.SHELLSTATUS),0)
$(error cannot provide node $(shell cat .nvmrc) (see the message above))
endif
ifneq ($(PINNED_NODE_BIN),)
export PATH := $(PINNED_NODE_BIN):$(PATH)
endif

.PHONY: test demo install deps gen typecheck lint build testenv sanity e2e-cluster cluster-images bench images tarball test-images clean

## test: install everything, build, lint, type-check and run every test suite
test: install deps gen typecheck lint build testenv cluster-images
	@node tools/run-tests.mjs

## demo: the whole system in standalone mode against the built-in RouterOS simulator
demo: install gen
	@node --import tsx tools/demo/demo.ts

install: node_modules/.install-stamp
node_modules/.install-stamp: package.json package-lock.json .nvmrc
	npm ci --no-audit --no-fund
	@touch $@

deps:
	@bash tools/setup/debian-deps.sh

gen: install
	@node tools/proto-gen.mjs

typecheck: gen
	$(NODE_BIN)/tsc -p tsconfig.json --noEmit

# Nx computes the project graph the boundary rule reads, then ESLint runs once.
lint: gen
	@$(NODE_BIN)/nx show projects >/dev/null
	$(NODE_BIN)/eslint --max-warnings=0 --no-error-on-unmatched-pattern apps libs e2e tools charts

build: gen
	$(NODE_BIN)/nx run-many -t build --outputStyle=static

## testenv: Go-built test peers (csi-sanity, helm, kube-apiserver, ...) into .cache/testenv
testenv:
	@if command -v go >/dev/null 2>&1; then bash tools/testenv/build.sh; \
	else echo "testenv: Go not found; tests that need the Go-built peers will be skipped"; fi

## sanity: csi-sanity (built from Go) against csi-controller + csi-node + the simulator (also part of make test)
sanity: install deps gen testenv
	@node tools/run-tests.mjs e2e/csi/sanity.test.ts

## e2e-cluster: helm install of the chart into a real one-node cluster (also part of make test; needs root)
e2e-cluster: install deps gen build testenv cluster-images
	@node tools/run-tests.mjs e2e/cluster

# The product image as `make images` writes it (both platforms: e2e/images checks the index,
# and the cluster e2e imports it into its containerd) and the test images.
cluster-images: install deps build testenv
	@bash tools/images/build.sh
	@bash tools/images/test-images.sh

## bench: every benchmark under tools/bench (us and a real peer on the same work; prints ratios)
bench: install deps gen build testenv
	@for b in tools/bench/*-bench.ts; do echo "== $$b"; node --import tsx "$$b" || exit 1; done

## images: the OCI image index (linux/amd64 + linux/arm64) of every service, no Docker needed:
## dist/images/mikrotik-kube-<version>.oci.tar; PUSH=<registry>/<repo> pushes it (tools/images/README.md)
images: install deps build
	@bash tools/images/build.sh

## tarball: ARCH=arm64|amd64 — the RouterOS tarball of mikrotik-kube itself (the all-in-one process), made by our
## storage-converter from the image: dist/mikrotik-kube-<version>-<ARCH>.tar (tools/images/README.md)
tarball: install deps build
	@ARCH=$(ARCH) bash tools/images/tarball.sh

## test-images: pause and the CSI sidecars as amd64 images for the cluster test: .cache/images/test/<name>.oci.tar
test-images: deps testenv
	@bash tools/images/test-images.sh

clean:
	rm -rf dist .nx libs/proto/src/generated
