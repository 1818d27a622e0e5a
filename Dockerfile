# Employee Directory: gunicorn serving Django, for PostgreSQL behind a load balancer.
# Build: docker build -t employee-directory .   Run: see docker-compose.yml and docs/DEPLOYMENT.md.

# Build stage: wheels for every runtime dependency, so the runtime stage needs neither compilers nor a network.
FROM python:3.12-slim AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.txt /wheels/requirements.txt
RUN pip wheel --wheel-dir /wheels --requirement /wheels/requirements.txt

# Runtime stage: the interpreter, the installed wheels, the code and the collected static files.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# psycopg[binary] brings its own libpq: no system packages to add. The requirements are copied in first so that
# a change to them rebuilds this layer on every builder, whether or not it tracks what a bind mount holds.
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels --requirement /tmp/requirements.txt
RUN groupadd --system --gid 10001 directory \
 && useradd --system --uid 10001 --gid directory --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin directory
WORKDIR /app
# The code stays owned by root: the app user can read it but not change it.
COPY . .
# Bytecode compiled now, as the app user may not write it at runtime (and PYTHONDONTWRITEBYTECODE says not to).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input --verbosity 0 \
 && python -m compileall -q directory_site employees
USER directory:directory
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
