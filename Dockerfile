# ringside images for Kubernetes (docs/distributed.md). Not built by this
# project's CI: its machines have no container engine.
#
#   load agents (`ringside k8s load`), the default target:
#     docker build -t registry.example.com/ringside:0.1 .
#   shards of the benchmark matrix (`ringside k8s run`): ringside, every
#   stack installed (`ringside setup`) and their runtimes:
#     docker build --target run -t registry.example.com/ringside-run:0.1 .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ringside

# Node.js 20 (the stacks' minimum; Debian 12 ships 18) on Debian 12, with
# Python 3.11, PostgreSQL 15 and the Rust toolchain for the baseline stack.
FROM node:20-bookworm AS run
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv python3-pip postgresql \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/cargo /usr/local/cargo
COPY --from=build /usr/local/rustup /usr/local/rustup
ENV CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup \
    PATH=/usr/local/cargo/bin:$PATH \
    RINGSIDE_STACKS_DIR=/opt/ringside/stacks
COPY --from=build /src/target/release/ringside /usr/local/bin/ringside
COPY stacks /opt/ringside/stacks
WORKDIR /opt/ringside
# Every stack's dependencies, installed once into the image (npm ci, pip into
# each stack's .venv, cargo build of rust-axum); a pod has no registry to reach.
RUN ringside setup \
    && useradd --uid 65532 --create-home --home-dir /home/ringside ringside \
    && chown -R 65532:65532 /opt/ringside
# PostgreSQL's initdb refuses root; the pods run as this user.
USER 65532:65532
ENTRYPOINT ["ringside"]

FROM debian:bookworm-slim AS load
COPY --from=build /src/target/release/ringside /usr/local/bin/ringside
USER 65532:65532
ENTRYPOINT ["ringside"]
