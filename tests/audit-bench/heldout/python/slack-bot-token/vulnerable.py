"""Nightly job: posts yesterday's failed payments to #billing-alerts."""

import datetime as dt
import os

import psycopg2
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

SLACK_BOT_TOKEN = "xoxb-2093847561203-5720394857162-FAKEq8Zr1Kx0Tn3Wb6Yc2Vd4"  # expect: CWE-798
CHANNEL = "#billing-alerts"


def failed_payments(day: dt.date):
    with psycopg2.connect(os.environ["BILLING_DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT invoice_number, customer_name, amount_cents, failure_reason FROM payments "
            "WHERE status = 'failed' AND created_at::date = %s ORDER BY amount_cents DESC",
            (day,),
        )
        return cur.fetchall()


def main():
    day = dt.date.today() - dt.timedelta(days=1)
    rows = failed_payments(day)
    if not rows:
        return
    lines = [f"*{len(rows)} failed payments on {day:%d %b %Y}*"]
    lines += [f"• {inv} {name}: {cents / 100:.2f} EUR ({reason})" for inv, name, cents, reason in rows[:30]]
    client = WebClient(token=SLACK_BOT_TOKEN)
    try:
        client.chat_postMessage(channel=CHANNEL, text="\n".join(lines))
    except SlackApiError as exc:
        raise SystemExit(f"Slack error: {exc.response['error']}")


if __name__ == "__main__":
    main()
