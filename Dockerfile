# The ringside image for load agents on Kubernetes (docs/distributed.md):
#   docker build -t registry.example.com/ringside:0.1 .
# Not built by this project's CI (its machines have no container engine).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ringside

FROM debian:bookworm-slim
COPY --from=build /src/target/release/ringside /usr/local/bin/ringside
USER 65532:65532
ENTRYPOINT ["ringside"]
