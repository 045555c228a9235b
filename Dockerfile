# syntax=docker/dockerfile:1
# Multi-stage build of the socialscore binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/socialscore ./cmd/socialscore \
 && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/socialscore /socialscore
# Writable state (audit log, embedded store) for the nonroot user.
COPY --from=build --chown=65532:65532 /out/state /var/lib/socialscore
WORKDIR /var/lib/socialscore
EXPOSE 8080
ENTRYPOINT ["/socialscore"]
CMD ["serve", "--create", "--addr", "0.0.0.0:8080"]
