-- The gateway's schema (PostgreSQL). SQLite has the same tables in ../sqlite/.
-- Times are Unix milliseconds (BIGINT), money is whole credits (BIGINT).

CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT 'trial' CHECK (plan IN ('trial', 'basic', 'pro')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'past_due', 'canceled')),
    stripe_customer_id TEXT UNIQUE,
    stripe_subscription_id TEXT,
    created_at BIGINT NOT NULL
);

-- API access tokens (kind 'api') and browser page sessions (kind 'page', with a CSRF token,
-- possibly before log-in). Only the SHA-256 of the secret is kept.
CREATE TABLE sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'page')),
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- The credit ledger: the balance is the sum of `amount` minus the open reservations' holds.
CREATE TABLE credits (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount BIGINT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('trial', 'purchase', 'subscription', 'usage', 'refund')),
    description TEXT NOT NULL,
    -- What the entry pays or grants for (an invoice, a reservation): each is booked once.
    reference TEXT UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX credits_account ON credits (account_id);
-- The trial grant, once per account, whatever races.
CREATE UNIQUE INDEX credits_one_trial ON credits (account_id) WHERE type = 'trial';

-- Credits held for a generation; `settled_at` set when charged (`charged`) and released.
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    held BIGINT NOT NULL CHECK (held >= 0),
    tokens BIGINT NOT NULL DEFAULT 0,
    charged BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    settled_at BIGINT
);
CREATE INDEX reservations_open ON reservations (account_id, settled_at);

-- RFC 8628 device authorization requests.
CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'used')),
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    interval_ms BIGINT NOT NULL,
    last_polled_at BIGINT,
    -- 1 when the last poll came sooner than the interval allowed (it answers slow_down).
    too_soon BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Fixed-window counters shared by every replica (log-in failures, sign-ups, code entries).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);

-- Stripe webhook events already processed (Stripe retries; each id is handled once).
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
