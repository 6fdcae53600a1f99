#!/bin/sh
# The one way the collector binary is built: by `make build`, by the
# Dockerfile and by CI, so that what CI tests is what the image ships.
#
#   scripts/build.sh [output]        (default output: ./collector)
#
# VERSION, REVISION and BRANCH may be given in the environment (the
# Dockerfile passes them as build arguments); otherwise git is asked.
set -eu
out=${1:-collector}
git_or() { git "$@" 2>/dev/null || true; }
VERSION=${VERSION:-$(cat VERSION 2>/dev/null || echo 0.0.0)}
REVISION=${REVISION:-$(git_or rev-parse HEAD)}
BRANCH=${BRANCH:-$(git_or rev-parse --abbrev-ref HEAD)}
BUILD_DATE=${BUILD_DATE:-$(date -u +%Y%m%d-%H:%M:%S)}
pkg=github.com/prometheus/common/version
CGO_ENABLED=0 exec go build -trimpath \
  -ldflags "-s -w -X ${pkg}.Version=${VERSION} -X ${pkg}.Revision=${REVISION:-unknown} -X ${pkg}.Branch=${BRANCH:-unknown} -X ${pkg}.BuildUser=kpi-collector -X ${pkg}.BuildDate=${BUILD_DATE}" \
  -o "$out" ./cmd/collector
