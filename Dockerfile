# Employee Directory: gunicorn serving Django, for PostgreSQL behind a load balancer.
# Build: docker build -t employee-directory .   Run: see docker-compose.yml and docs/DEPLOYMENT.md.

# Build stage: wheels for every runtime dependency, installed into a virtualenv that the runtime stage copies,
# so the runtime stage needs neither compilers nor a network.
FROM python:3.12-slim AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.txt /wheels/requirements.txt
RUN pip wheel --wheel-dir /wheels --requirement /wheels/requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-index --find-links /wheels --requirement /wheels/requirements.txt

# Runtime stage: the interpreter, the installed packages, the code and the collected static files.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
# psycopg[binary] brings its own libpq: no system packages to add.
COPY --from=wheels /opt/venv /opt/venv
RUN groupadd --system --gid 10001 directory \
 && useradd --system --uid 10001 --gid directory --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin directory
WORKDIR /app
# The code stays owned by root: the app user can read it but not change it.
COPY . .
# Bytecode compiled now, as the app user may not write it at runtime (and PYTHONDONTWRITEBYTECODE says not to).
# The app writes in two folders only: var/ (its default file cache, shared by the workers of one container) and
# media/ (uploaded photos; docker-compose.yml keeps it on a volume).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input --verbosity 0 \
 && python -m compileall -q directory_site employees \
 && install -d -o directory -g directory /app/var /app/media
USER directory:directory
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
