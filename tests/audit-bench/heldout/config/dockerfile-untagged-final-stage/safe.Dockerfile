FROM golang:1.23.2-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/api ./cmd/api

FROM alpine:3.20.3
RUN apk add --no-cache ca-certificates tzdata \
    && adduser -D -H -u 10001 api
COPY --from=build /out/api /usr/local/bin/api
USER api
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/api"]
