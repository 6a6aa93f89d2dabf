# pushio — every target is one line; see README.md.
GO      ?= go
BIN     := bin/pushio
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# Static (no cgo), stripped, without build paths: one file that runs on any Linux of its architecture.
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DIST    ?= dist
BUNDLE  := static/web/vendor/socket.io.min.js
ARGS    ?=

.PHONY: run build dist static test test-deps fuzz bench lint fmt clean

run: build ## build, then start with ./config.yaml (embedded defaults otherwise)
	./$(BIN) $(ARGS)

build: $(BUNDLE) ## the pushio binary, demo page and client bundle embedded (GOOS/GOARCH from the environment cross-compile)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/pushio

dist: $(BUNDLE) ## release archives in $(DIST)/: pushio-VERSION-linux-{amd64,arm64}.tar.gz and SHA256SUMS
	VERSION="$(VERSION)" COMMIT="$(COMMIT)" DIST="$(DIST)" MAKE="$(MAKE)" ./scripts/dist.sh linux/amd64 linux/arm64

static: $(BUNDLE)

$(BUNDLE): static/package.json static/package-lock.json
	cd static && npm ci --no-audit --no-fund --loglevel=error && cp node_modules/socket.io-client/dist/socket.io.min.js web/vendor/

test: test-deps build ## installs what the tests need, then every test with -race, then a brief fuzz of each target
	$(GO) test -race -count=1 -timeout 9m ./...
	$(MAKE) fuzz FUZZTIME=5s

FUZZTIME ?= 30s
fuzz: ## each fuzz target for FUZZTIME (parsers of network input: publish request, batch, escaping, uid cast, Engine.IO and Socket.IO packets, websocket frames and handshakes, plain WebSocket frames, Redis fan-out broadcasts)
	GO=$(GO) ./scripts/fuzz.sh FuzzParams ./pushapi/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzBatch ./pushapi/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzHTMLSpecialChars ./pushapi/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzJSONScalar ./pushapi/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzUID ./server/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzEnginePayload ./engine/parser/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzEngineFrame ./engine/parser/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzSocketPacket ./socketio/parser/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzFrames ./wsconn/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzHandshake ./wsconn/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzParseFrame ./plain/ $(FUZZTIME)
	GO=$(GO) ./scripts/fuzz.sh FuzzBroadcast ./adapter/redis/ $(FUZZTIME)

test-deps:
	./test/deps.sh

bench: test-deps build ## the load generator against pushio and the Node reference (see BENCHMARKS.md)
	./bench/run.sh $(BENCH_ARGS)

lint:
	$(GO) vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) mod tidy

clean:
	rm -rf bin $(DIST) static/node_modules test/e2e/node_modules test/interop/node_modules test/openapi/node_modules
