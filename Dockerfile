# The site in a container: Python 3.12 slim, the site's requirements only, a non-root user.
#
#   docker build -t vae-site .
#   docker run --rm -p 8501:8501 vae-site                  # or -e PORT=8080 -p 8080:8080
#
# Settings (upload limit, XSRF protection, no file watcher, no tracebacks shown) come from
# .streamlit/config.toml, which is copied with the repository. The models are committed.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PORT=8501

# A fixed uid, so a platform that insists on a non-root numeric user (runAsNonRoot) accepts it.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
WORKDIR /app

# Requirements first: this layer is rebuilt only when requirements.txt changes, not with every edit.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code, models and assets stay owned by root: the app user can read them, not change them.
COPY . .
USER app

EXPOSE 8501
# The slim image has no curl: Python asks Streamlit's own health endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/_stcore/health' % os.environ.get('PORT', '8501'); sys.exit(urllib.request.urlopen(url, timeout=4).read() != b'ok')"]

# sh expands $PORT; exec makes Streamlit PID 1, so `docker stop`'s SIGTERM reaches it.
CMD ["sh", "-c", "exec streamlit run streamlit_app.py --server.port \"$PORT\" --server.address 0.0.0.0"]
