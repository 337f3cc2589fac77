# school-erp: one image for `serve` (the default), `worker` and `migrate`.
#   podman build --format docker -t school-erp .  (or docker build -t school-erp .; HEALTHCHECK
#                                                 needs the docker format)
#   podman run school-erp                         the API on 0.0.0.0:8080
#   podman run school-erp worker                  jobs of QUEUE_NAME; /healthz on :9464
#   podman run school-erp migrate                 applies the schema to ERP_DATABASE_URL
# Configuration is the ERP_* environment (docs/OPERATIONS.md); data (the SQLite profile,
# file blobs) goes to /var/lib/school-erp, the only place the process writes.

# ---- build: the compiler and the -dev packages of scripts/bootstrap (one list for both)
FROM debian:bookworm AS build-deps
COPY scripts/bootstrap /usr/local/sbin/erp-bootstrap
RUN /usr/local/sbin/erp-bootstrap && rm -rf /var/lib/apt/lists/*

FROM build-deps AS build
WORKDIR /src
COPY . .
ARG ERP_COMMIT=""
RUN meson setup /build --buildtype=debugoptimized -Dtests=disabled -Dcommit="$ERP_COMMIT" >/dev/null \
 && ninja -C /build school-erp web \
 && strip --strip-debug -o /school-erp /build/school-erp

# ---- run: the shared libraries school-erp links against, CA certificates (S3), the font of its PDFs
FROM debian:bookworm-slim AS runtime-base
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libh2o-evloop0.13 libjansson4 libsodium23 libsqlite3-0 libpq5 libhiredis0.14 libjwt0 libicu72 \
      libcairo2 libfontconfig1 libcsv3 libcurl4 libzip4 libbrotli1 ca-certificates fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && groupadd --system --gid 10001 erp \
 && useradd --system --uid 10001 --gid erp --home-dir /var/lib/school-erp --no-create-home \
      --shell /usr/sbin/nologin erp \
 && install -d -o erp -g erp -m 0750 /var/lib/school-erp

FROM runtime-base
COPY --from=build /school-erp /usr/local/bin/school-erp
# the web app (content-hashed, gzip'd), served at / from beside the executable (ERP_WEB_DIR's default)
COPY --from=build /build/web /usr/local/bin/web
USER 10001:10001
WORKDIR /var/lib/school-erp
ENV ERP_LISTEN=0.0.0.0:8080 \
    ERP_WORKER_LISTEN=0.0.0.0:9464 \
    ERP_DATA_DIR=/var/lib/school-erp
EXPOSE 8080 9464
# `serve` drains on SIGTERM for at most ERP_DRAIN_SECONDS (25 s): give `stop` a longer timeout.
STOPSIGNAL SIGTERM
# /readyz of the server; a worker's container overrides it with `school-erp health --worker`.
HEALTHCHECK --interval=10s --timeout=4s --start-period=10s --retries=3 CMD ["school-erp", "health"]
ENTRYPOINT ["school-erp"]
CMD ["serve"]
