# One image for web, worker and beat; the command differs per service (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings

RUN apt-get update \
 && apt-get install -y --no-install-recommends curl fonts-liberation2 fonts-droid-fallback \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 edc

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY accounts ./accounts
COPY trial ./trial
COPY scoring ./scoring
COPY analysis ./analysis
RUN pip install .
COPY . .

# Static files and translations are built into the image; a dummy key is enough for that.
RUN DJANGO_SECRET_KEY=build-only DJANGO_DEBUG=0 python manage.py compile_translations \
 && DJANGO_SECRET_KEY=build-only DJANGO_DEBUG=0 python manage.py collectstatic --noinput -v0 \
 && mkdir -p /app/var/media && chown -R edc:edc /app/var

USER edc
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--timeout", "60"]
