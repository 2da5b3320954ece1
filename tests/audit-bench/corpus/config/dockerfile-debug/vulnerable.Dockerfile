FROM python:3.12.7-slim-bookworm

WORKDIR /app
RUN useradd --create-home --uid 10001 app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

ENV PYTHONUNBUFFERED=1
ENV AWS_DEFAULT_REGION=eu-west-1

USER app
EXPOSE 8000
# expect-next-line: CWE-489
CMD ["flask", "--app", "app", "run", "--host", "0.0.0.0", "--port", "8000", "--debug"]
