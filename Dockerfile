# nnplay on CPU. For NVIDIA GPUs build with --build-arg EXTRAS="[cuda]" and run with GPU access.
FROM python:3.11-slim
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \
    NNPLAY_HOST=0.0.0.0 NNPLAY_PORT=8000 NNPLAY_FRONTEND_DIR=/app/frontend \
    JAX_COMPILATION_CACHE_DIR=/cache/jax NNPLAY_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
RUN pip install ".${EXTRAS}"
COPY frontend ./frontend
RUN useradd --create-home nnplay && mkdir -p /cache/jax /data && chown nnplay /cache/jax /data
USER nnplay
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8000/api/health', headers={'Authorization': 'Bearer ' + os.environ.get('NNPLAY_TOKEN', '')}), timeout=4)"
CMD ["nnplay", "serve"]
