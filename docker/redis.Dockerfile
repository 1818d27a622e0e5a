# Redis from Debian's package: the shared cache of several app containers (docker-compose.scale.yml).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
# A cache only: nothing kept on disk, the least recently used keys go first when memory is full.
CMD ["redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
