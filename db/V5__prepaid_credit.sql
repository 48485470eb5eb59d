-- Prepaid credit (contract §11). An account is funded postpaid (its limits alone) or prepaid (its limits and what its
-- grants hold). A grant enters the balance at effective_at and leaves it at expires_at, each with a ledger entry;
-- consumption draws on the grants inside the settlement, one ledger entry per grant per call. Everything here is
-- written under the account's credit lock (its account_usage row), which also keeps the balance, the ledger's next
-- seq, the next moment a grant enters or expires (grants_due_at, so a settlement that has nothing due skips the
-- grants), and the balance alerts' threshold and whether each alert was sent since a grant last re-armed it (an
-- account starts with nothing available: depleted, until its first grant).
alter table account
    add column funding text default 'postpaid' not null,
    add constraint account_funding_check check (funding in ('postpaid', 'prepaid'));
alter table account_usage
    add column balance bigint default 0 not null,
    add column ledger_seq bigint default 0 not null,
    add column grants_due_at timestamp with time zone,
    add column balance_alert_below bigint,
    add column balance_low_sent boolean default false not null,
    add column balance_depleted_sent boolean default true not null;

-- state: pending (not effective yet), active (in the balance), expired, voided. remaining is what an active grant
-- still holds; a Stripe grant remembers its invoice (once per invoice) and the amount paid (for credit notes).
CREATE TABLE credit_grant (
    account_id bigint NOT NULL,
    grant_id uuid NOT NULL,
    credits bigint NOT NULL,
    remaining bigint NOT NULL,
    category text NOT NULL,
    priority smallint NOT NULL,
    effective_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    voided_at timestamp with time zone,
    state text DEFAULT 'pending' NOT NULL,
    source text NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    idempotency_key text,
    request_fingerprint text,
    stripe_invoice_id text,
    stripe_amount_paid bigint,
    CONSTRAINT credit_grant_credits_check CHECK (credits BETWEEN 0 AND 1000000000000000),
    CONSTRAINT credit_grant_remaining_check CHECK (remaining BETWEEN 0 AND credits),
    CONSTRAINT credit_grant_category_check CHECK (category IN ('paid', 'promotional')),
    CONSTRAINT credit_grant_priority_check CHECK (priority BETWEEN 0 AND 100),
    CONSTRAINT credit_grant_expiry_check CHECK (expires_at > effective_at),
    CONSTRAINT credit_grant_state_check CHECK (state IN ('pending', 'active', 'expired', 'voided')),
    CONSTRAINT credit_grant_source_check CHECK (source IN ('root', 'stripe'))
);
ALTER TABLE ONLY credit_grant
    ADD CONSTRAINT credit_grant_pkey PRIMARY KEY (account_id, grant_id);
ALTER TABLE ONLY credit_grant
    ADD CONSTRAINT credit_grant_idempotency_key UNIQUE (account_id, idempotency_key);
ALTER TABLE ONLY credit_grant
    ADD CONSTRAINT credit_grant_stripe_invoice UNIQUE (account_id, stripe_invoice_id);
-- The grants a settlement draws on, in the drawing order's leading columns.
CREATE INDEX credit_grant_drawable ON credit_grant USING btree (account_id, priority, expires_at)
    WHERE state = 'active' AND remaining > 0;
ALTER TABLE ONLY credit_grant
    ADD CONSTRAINT credit_grant_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;

-- The ledger: append-only, never purged. seq counts per account under the credit lock; credits is signed and
-- balance is the account's balance after the entry, so the entries sum to account_usage.balance.
CREATE TABLE credit_ledger (
    account_id bigint NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    grant_id uuid,
    credits bigint NOT NULL,
    balance bigint NOT NULL,
    request_id text,
    CONSTRAINT credit_ledger_kind_check CHECK (kind IN ('grant', 'consume', 'expire', 'void'))
);
ALTER TABLE ONLY credit_ledger
    ADD CONSTRAINT credit_ledger_pkey PRIMARY KEY (account_id, seq);
ALTER TABLE ONLY credit_ledger
    ADD CONSTRAINT credit_ledger_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;

-- Its consume entries carry the request id; the old signature goes and the repeatable migration creates the new one.
drop function if exists charge_registration(bigint);
