# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=clinic.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 clinic

WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY clinic/__init__.py clinic/__init__.py
RUN pip install -c constraints.txt .
COPY . .
RUN pip install --no-deps . \
    && SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py compilemessages --ignore=.venv \
    && mkdir -p /app/var/private && chown -R clinic /app/var

USER clinic
EXPOSE 8000
CMD ["gunicorn", "clinic.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
