# Builds the mlasim binary; the image runs a worker against the Temporal cluster named by TEMPORAL_ADDRESS.
FROM golang:1.26 AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/mlasim ./cmd/mlasim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mlasim /usr/local/bin/mlasim
ENTRYPOINT ["/usr/local/bin/mlasim"]
CMD ["worker", "--log-level", "info"]
