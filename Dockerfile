# docker-chat: the chatd image (issue #5).
#
#   docker build -t docker-chat:0.1.0 .
#   docker run --rm -p 8888:8888 -v chat-data:/data -v chat-uploads:/uploads docker-chat:0.1.0
#
# Two stages: "build" compiles the release binary on debian:bookworm with the same library
# packages as scripts/setup.sh (tests/deploy checks that the lists agree); the final stage is
# debian:bookworm-slim with only the shared libraries chatd links (tests/deploy checks them
# against the binary's NEEDED entries), running as an unprivileged user.

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
# Build dependencies from scripts/setup.sh (no test frameworks, test servers or ccache), plus
# nodejs/npm (Debian's) for the web UI's socket.io client bundle.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-context1.81-dev \
      libhiredis-dev libnats-dev librabbitmq-dev libpq-dev libsqlite3-dev libvips-dev \
      libsodium-dev libspdlog-dev libfmt-dev libssl-dev nlohmann-json3-dev libicu-dev \
      ninja-build pkg-config cmake g++ \
      nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The web UI's npm packages first, so this layer is reused until the lock file changes.
# Behind a proxy that intercepts HTTPS (corporate networks, some CI machines), npm must trust its
# CA: pass the bundle as a build secret, e.g.
#   docker build --secret id=extra_ca,src=/etc/ssl/certs/ca-certificates.crt .
# Without the secret nothing changes; the secret is never written into a layer.
COPY web/package.json web/package-lock.json web/
RUN --mount=type=secret,id=extra_ca \
    cd web \
 && if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && npm ci --no-audit --no-fund --loglevel=error
COPY CMakeLists.txt CMakePresets.json ./
COPY src/ src/
COPY web/ web/
# The release preset: -O2, no tests; produces build/release/chatd and build/release/web/.
RUN cmake --preset release \
 && cmake --build --preset release \
 && strip build/release/chatd

FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: the packages that own the libraries chatd is linked against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-container1.81.0 libboost-context1.81.0 libboost-json1.81.0 libboost-url1.81.0 \
      libhiredis0.14 libnats3.4 librabbitmq4 libpq5 libsqlite3-0 libvips42 libglib2.0-0 \
      libsodium23 libspdlog1.10 libfmt9 libssl3 libicu72 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chat \
 && useradd --system --uid 10001 --gid chat --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin chat \
 && mkdir -p /data /uploads \
 && chown chat:chat /data /uploads
COPY --from=build /src/build/release/chatd /usr/local/bin/chatd
COPY --from=build /src/build/release/web/ /usr/local/share/chatd/web/

# Defaults; every one can be overridden at run time (chatd --help lists all settings).
ENV PORT=8888 \
    DATABASE_URL=sqlite:/data/chat.db \
    UPLOAD_DIR=/uploads \
    CHAT_WEB_DIR=/usr/local/share/chatd/web

# The SQLite database (when DATABASE_URL is sqlite:) and the avatars (BLOB_STORE=fs).
VOLUME ["/data", "/uploads"]
EXPOSE 8888
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
# No curl in the image: chatd checks its own /healthz on 127.0.0.1:$PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["chatd", "--health-check"]
# On SIGTERM chatd stops being ready, tells its clients to reconnect elsewhere and exits within
# CHAT_SHUTDOWN_GRACE_MS (default 10 s): give it more than that (compose stop_grace_period,
# Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["chatd"]
