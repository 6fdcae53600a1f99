# syntax=docker/dockerfile:1
# The collector as a static binary on distroless, running as nonroot.
# The binary is built by scripts/build.sh, the same script `make build` and CI use.

# The build stage runs on the builder's own platform and cross-compiles for
# the target's (a static binary needs no emulation): arm64 images build as
# fast as amd64 ones.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG REVISION=""
ARG BRANCH=""
RUN GOOS="${TARGETOS:-linux}" GOARCH="${TARGETARCH:-amd64}" \
    VERSION="${VERSION}" REVISION="${REVISION}" BRANCH="${BRANCH}" scripts/build.sh /out/collector \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=""
ARG REVISION=""
ARG CREATED=""
LABEL org.opencontainers.image.title="kpi-collector" \
      org.opencontainers.image.description="Measures a social-media plan: collects channel counts, compares them with the plan's milestones and exports Prometheus metrics." \
      org.opencontainers.image.url="https://github.com/kpi-collector/kpi-collector" \
      org.opencontainers.image.source="https://github.com/kpi-collector/kpi-collector" \
      org.opencontainers.image.documentation="https://github.com/kpi-collector/kpi-collector#readme" \
      org.opencontainers.image.vendor="kpi-collector" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/collector /bin/collector
COPY config/example.yml /etc/kpi-collector/config.yml
# The store lives here; the folder belongs to nonroot so a fresh volume is writable.
COPY --from=build --chown=65532:65532 /out/data /var/lib/kpi-collector
VOLUME ["/var/lib/kpi-collector"]
# No GOMEMLIMIT here: the collector sets Go's memory limit to 90% of the
# container's (--auto-gomemlimit.ratio), so run it with one, e.g.
# `docker run --memory=256m` for up to 10,000 KPIs (README "Scaling").
EXPOSE 9469
# The image has no shell: the binary asks itself whether it is ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["/bin/collector", "healthcheck"]
USER 65532:65532
ENTRYPOINT ["/bin/collector"]
CMD ["--config.file=/etc/kpi-collector/config.yml", "--storage.path=/var/lib/kpi-collector"]
