# syntax=docker/dockerfile:1

# Build a static ferry binary.
FROM golang:1.26 AS build
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ferry ./cmd/ferry

# GitLab CI runs a job's script with a shell, so its image adds busybox:
# docker build --target gitlab builds one for local use. Releases publish the
# one `make image` assembles without Docker (internal/ferryimage: Debian's
# busybox-static, ferry at the same path), as ghcr.io/ferry-ci/ferry:<tag>-gitlab.
FROM busybox:1.37-musl AS gitlab
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ferry /usr/local/bin/ferry

# The GitHub container action (the default, last stage): only the binary and
# the CA certificates it needs for TLS to AWS. `make image`
# (internal/releaseimage) assembles the same image without Docker — same
# paths, same entrypoint, checked by its TestDockerfileAgrees — and that is
# the image releases publish and pin the actions to.
FROM scratch AS action
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ferry /ferry
ENTRYPOINT ["/ferry"]
