# syntax=docker/dockerfile:1
# The collector as a static binary on distroless, running as nonroot.
# The binary is built by scripts/build.sh, the same script `make build` and CI use.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG REVISION=""
ARG BRANCH=""
RUN VERSION="${VERSION}" REVISION="${REVISION}" BRANCH="${BRANCH}" scripts/build.sh /out/collector \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/collector /bin/collector
COPY config/example.yml /etc/kpi-collector/config.yml
# The store lives here; the folder belongs to nonroot so a fresh volume is writable.
COPY --from=build --chown=65532:65532 /out/data /var/lib/kpi-collector
VOLUME ["/var/lib/kpi-collector"]
# The Go heap's soft limit: a plan of 10,000 KPIs stays near 100 MB resident
# with it (BENCHMARKS.md). Raise it for larger plans; Kubernetes sets it from
# the container's memory limit.
ENV GOMEMLIMIT=64MiB
EXPOSE 9469
USER 65532:65532
ENTRYPOINT ["/bin/collector"]
CMD ["--config.file=/etc/kpi-collector/config.yml", "--storage.path=/var/lib/kpi-collector"]
