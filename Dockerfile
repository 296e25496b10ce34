# One image for every Molva process of compose.yaml (crawlers, classifiers, scheduler, dashboard).
FROM python:3.11-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
COPY . /app
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu . \
 && useradd --create-home molva
USER molva
CMD ["molva", "--help"]
