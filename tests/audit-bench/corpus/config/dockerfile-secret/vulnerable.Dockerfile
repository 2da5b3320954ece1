FROM python:3.12.7-slim-bookworm

WORKDIR /app
RUN useradd --create-home --uid 10001 app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

ENV PYTHONUNBUFFERED=1
ENV AWS_DEFAULT_REGION=eu-west-1
# expect-next-line: CWE-798
ENV AWS_ACCESS_KEY_ID=AKIAQZ5FAKEBENCH7XYZ
# expect-next-line: CWE-798
ENV AWS_SECRET_ACCESS_KEY=wJalrFAKEbenchK7MDENG/bPxRfiCYFAKEKEY0aQ

USER app
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
