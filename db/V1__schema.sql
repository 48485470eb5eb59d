-- The Sluice schema as it stands: tables, types, domains, indexes and the rows every installation starts with.
-- Functions are not here: each has its one current text in db/functions/R__*.sql, re-applied by Flyway when that
-- text changes. Later versioned migrations (V2, V3, ...) change tables and data only. db/schema.sql is what all
-- migrations together produce (checked by SchemaLayoutTest).
--
-- Distributable by account (Citus): account-scoped keys and unique constraints include account_id; names unique
-- across accounts are rows keyed by the name (account_slug, subdomain_claim); no foreign key Citus refuses.

-- Credits leased and held are never negative; a close reason and a usage level come from their lists. Domains,
-- not table CHECKs: PostgreSQL compiles a domain's check once per session, while it rebuilds a table's CHECK
-- constraints from their text in every statement that writes the table (docs/decisions).
CREATE DOMAIN leased_credits AS bigint
	CONSTRAINT leased_credits_check CHECK ((VALUE >= 0));

-- One settlement's answer; stored whole with an Idempotency-Key so a replay renders the same bytes.
CREATE TYPE settlement AS (
	outcome text,
	granted bigint,
	held bigint,
	returned bigint,
	close_reason text,
	scope text,
	level text,
	previous_level text,
	day_used bigint,
	day_leased bigint,
	day_limit bigint,
	month_used bigint,
	month_leased bigint,
	month_limit bigint,
	plan text,
	resets_at timestamp with time zone,
	decided_at timestamp with time zone,
	request_id text,
	replayed boolean,
	late_refused boolean
);

CREATE DOMAIN tunnel_close_reason AS text
	CONSTRAINT tunnel_close_reason_check1 CHECK ((VALUE = ANY (ARRAY['closed'::text, 'suspended'::text, 'plan_downgrade'::text, 'inactive'::text, 'stale'::text, 'revoked'::text])));

CREATE DOMAIN usage_level_name AS text
	CONSTRAINT usage_level_name_check CHECK ((VALUE = ANY (ARRAY['ok'::text, 'warn'::text, 'exceeded'::text])));

CREATE SEQUENCE account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE SEQUENCE audit_entry_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE SEQUENCE stripe_event_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE SEQUENCE webhook_attempt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- What an account has spent and holds. Its row lock is the serialisation point of every credit movement
-- (registration, lease, close, reapers), so it is kept apart from the account's settings.
CREATE TABLE account_usage (
    account_id bigint NOT NULL,
    day_start date NOT NULL,
    day_used bigint DEFAULT 0 NOT NULL,
    day_leased leased_credits DEFAULT 0 NOT NULL,
    day_ops bigint DEFAULT 0 NOT NULL,
    day_bytes_in bigint DEFAULT 0 NOT NULL,
    day_bytes_out bigint DEFAULT 0 NOT NULL,
    day_session_seconds bigint DEFAULT 0 NOT NULL,
    day_tunnels bigint DEFAULT 0 NOT NULL,
    month_start date NOT NULL,
    month_used bigint DEFAULT 0 NOT NULL,
    month_leased leased_credits DEFAULT 0 NOT NULL,
    overshoot bigint DEFAULT 0 NOT NULL,
    bytes_window_start timestamp with time zone,
    bytes_used bigint DEFAULT 0 NOT NULL,
    session_window_start timestamp with time zone,
    session_seconds_used bigint DEFAULT 0 NOT NULL,
    level usage_level_name DEFAULT 'ok'::text NOT NULL
);
ALTER TABLE ONLY account_usage
    ADD CONSTRAINT account_usage_pkey PRIMARY KEY (account_id);

CREATE TABLE account (
    account_id bigint NOT NULL,
    slug text NOT NULL,
    name text,
    email text,
    status text DEFAULT 'active'::text NOT NULL,
    suspended_by text,
    plan text DEFAULT 'free'::text NOT NULL,
    day_limit bigint NOT NULL,
    month_limit bigint NOT NULL,
    concurrent_max integer NOT NULL,
    lease_chunk bigint NOT NULL,
    stripe_customer_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    stripe_subscription_id text,
    grace_until timestamp with time zone,
    stripe_subscription_created bigint,
    CONSTRAINT account_check CHECK (((status = 'active'::text) = (suspended_by IS NULL))),
    CONSTRAINT account_concurrent_max_check CHECK ((concurrent_max >= 1)),
    CONSTRAINT account_day_limit_check CHECK ((day_limit >= 0)),
    CONSTRAINT account_lease_chunk_check CHECK ((lease_chunk >= 1)),
    CONSTRAINT account_month_limit_check CHECK ((month_limit >= 0)),
    CONSTRAINT account_slug_check CHECK ((slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'::text)),
    CONSTRAINT account_status_check CHECK ((status = ANY (ARRAY['active'::text, 'suspended'::text]))),
    CONSTRAINT account_suspended_by_check CHECK ((suspended_by = ANY (ARRAY['root'::text, 'service'::text])))
);
ALTER SEQUENCE account_id_seq OWNED BY account.account_id;
ALTER TABLE ONLY account ALTER COLUMN account_id SET DEFAULT nextval('account_id_seq'::regclass);
ALTER TABLE ONLY account
    ADD CONSTRAINT account_pkey PRIMARY KEY (account_id);
CREATE INDEX account_by_stripe_customer ON account USING btree (stripe_customer_id) WHERE (stripe_customer_id IS NOT NULL);

-- A member account's tokens may read the owner's usage (X-Account: <owner>); the owner's limits stay the cap.
CREATE TABLE account_member (
    account_id bigint NOT NULL,
    member_account_id bigint NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT account_member_check CHECK ((account_id <> member_account_id)),
    CONSTRAINT account_member_role_check CHECK ((role = 'viewer'::text))
);
ALTER TABLE ONLY account_member
    ADD CONSTRAINT account_member_pkey PRIMARY KEY (account_id, member_account_id);
CREATE INDEX account_member_by_member ON account_member USING btree (member_account_id);

-- Slugs: one row per slug, keyed by the slug (so, on Citus, found on one shard without knowing the account).
-- Written with the account, never changed (slugs are immutable).
CREATE TABLE account_slug (
    slug text NOT NULL,
    account_id bigint NOT NULL
);
ALTER TABLE ONLY account_slug
    ADD CONSTRAINT account_slug_pkey PRIMARY KEY (slug);

CREATE TABLE api_token (
    account_id bigint NOT NULL,
    token_id uuid NOT NULL,
    kind text NOT NULL,
    name text,
    token_hash text NOT NULL,
    last4 text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    CONSTRAINT api_token_kind_check CHECK ((kind = ANY (ARRAY['api'::text, 'service'::text]))),
    CONSTRAINT api_token_token_hash_check CHECK ((token_hash ~ '^[0-9a-f]{64}$'::text))
);
ALTER TABLE ONLY api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (account_id, token_hash);
ALTER TABLE ONLY api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (account_id, token_id);

CREATE TABLE audit_entry (
    entry_id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor_kind text NOT NULL,
    actor_id text NOT NULL,
    action text NOT NULL,
    account_slug text,
    target text,
    outcome text NOT NULL,
    request_id text,
    detail text,
    account_id bigint NOT NULL
);
ALTER SEQUENCE audit_entry_id_seq OWNED BY audit_entry.entry_id;
ALTER TABLE ONLY audit_entry ALTER COLUMN entry_id SET DEFAULT nextval('audit_entry_id_seq'::regclass);
ALTER TABLE ONLY audit_entry
    ADD CONSTRAINT audit_entry_pkey PRIMARY KEY (account_id, entry_id);
CREATE INDEX audit_entry_account ON audit_entry USING btree (account_slug, entry_id);
CREATE INDEX audit_entry_newest ON audit_entry USING btree (entry_id);

-- One row holding Σ of all accounts' limits. Every change to an account limit updates this row in the
-- same transaction with a conditional UPDATE; the row lock serialises concurrent changes across all
-- replicas, and PostgreSQL re-evaluates the WHERE clause on the locked row, so two racing raises can
-- never both pass the ceiling.
CREATE TABLE global_allocation (
    id smallint NOT NULL,
    day_allocated bigint NOT NULL,
    month_allocated bigint NOT NULL,
    CONSTRAINT global_allocation_day_allocated_check CHECK ((day_allocated >= 0)),
    CONSTRAINT global_allocation_id_check CHECK ((id = 1)),
    CONSTRAINT global_allocation_month_allocated_check CHECK ((month_allocated >= 0))
);
ALTER TABLE ONLY global_allocation
    ADD CONSTRAINT global_allocation_pkey PRIMARY KEY (id);

-- Idempotency-Key records: registrations per account for 24 h, leases and closes for the tunnel's latest report.
-- Written in the same transaction, under the account's credit lock, as the charge they answer for, so a retry
-- can never be charged twice and a crash can never leave a key without its answer.
CREATE TABLE idempotency_key (
    account_id bigint NOT NULL,
    idem_key text NOT NULL,
    kind text NOT NULL,
    tunnel_id uuid,
    fingerprint text NOT NULL,
    result jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT idempotency_key_kind_check CHECK ((kind = ANY (ARRAY['register'::text, 'lease'::text, 'close'::text])))
);
ALTER TABLE ONLY idempotency_key
    ADD CONSTRAINT idempotency_key_pkey PRIMARY KEY (account_id, idem_key);
CREATE INDEX idempotency_key_created ON idempotency_key USING btree (created_at);

-- The plan catalogue the server enforces (§7); null = unlimited, 0 in the meters = unmetered.
CREATE TABLE plan (
    plan_id text NOT NULL,
    name text NOT NULL,
    rank integer NOT NULL,
    tunnels integer NOT NULL,
    password_tunnels integer,
    reserved_subdomains integer NOT NULL,
    requests_per_minute integer NOT NULL,
    workers integer NOT NULL,
    inactivity_timeout_seconds integer,
    bytes_per_7d bigint NOT NULL,
    session_seconds_per_24h bigint NOT NULL
);
ALTER TABLE ONLY plan
    ADD CONSTRAINT plan_pkey PRIMARY KEY (plan_id);
ALTER TABLE ONLY plan
    ADD CONSTRAINT plan_rank_key UNIQUE (rank);

CREATE TABLE reserved_subdomain (
    account_id bigint NOT NULL,
    name text NOT NULL,
    reserved_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY reserved_subdomain
    ADD CONSTRAINT reserved_subdomain_pkey PRIMARY KEY (account_id, name);

-- The inbox: every Stripe event once, by id, with what it did (applied, duplicate-free by the key).
CREATE TABLE stripe_event (
    event_id text NOT NULL,
    type text NOT NULL,
    created bigint NOT NULL,
    customer text,
    subscription text,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    outcome text NOT NULL,
    payload jsonb NOT NULL,
    seq bigint NOT NULL
);
ALTER SEQUENCE stripe_event_seq OWNED BY stripe_event.seq;
ALTER TABLE ONLY stripe_event ALTER COLUMN seq SET DEFAULT nextval('stripe_event_seq'::regclass);
ALTER TABLE ONLY stripe_event
    ADD CONSTRAINT stripe_event_pkey PRIMARY KEY (event_id);
CREATE INDEX stripe_event_received ON stripe_event USING btree (received_at DESC);
CREATE INDEX stripe_event_unlinked ON stripe_event USING btree (customer, created, seq) WHERE (outcome = 'unknown_customer'::text);

-- The newest event applied per subscription, so an older one delivered late is recorded but ignored.
CREATE TABLE stripe_subscription (
    subscription_id text NOT NULL,
    account_id bigint NOT NULL,
    last_event_created bigint NOT NULL,
    kind text NOT NULL,
    CONSTRAINT stripe_subscription_kind_check CHECK ((kind = ANY (ARRAY['subscription'::text, 'invoice'::text])))
);
ALTER TABLE ONLY stripe_subscription
    ADD CONSTRAINT stripe_subscription_pkey PRIMARY KEY (account_id, subscription_id, kind);

-- Subdomains: a hostname is claimed by one account at a time, by one insert into subdomain_claim (keyed by the
-- name) inside the reserving or registering transaction. A claim outlives its use; the next account to want the
-- name takes it over once its holder neither reserves it nor has it open (tunnel.SubdomainClaims).
CREATE TABLE subdomain_claim (
    name text NOT NULL,
    holder_account_id bigint NOT NULL
);
ALTER TABLE ONLY subdomain_claim
    ADD CONSTRAINT subdomain_claim_pkey PRIMARY KEY (name);

CREATE TABLE tunnel (
    account_id bigint NOT NULL,
    tunnel_id uuid NOT NULL,
    token_id uuid,
    subdomain text NOT NULL,
    password_protected boolean NOT NULL,
    region text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    last_activity_at timestamp with time zone DEFAULT now() NOT NULL,
    held leased_credits DEFAULT 0 NOT NULL,
    consumed bigint DEFAULT 0 NOT NULL,
    bytes_in bigint DEFAULT 0 NOT NULL,
    bytes_out bigint DEFAULT 0 NOT NULL,
    session_seconds bigint DEFAULT 0 NOT NULL,
    closed_at timestamp with time zone,
    close_reason tunnel_close_reason,
    held_at_close bigint DEFAULT 0 NOT NULL,
    late_consumed bigint DEFAULT 0 NOT NULL,
    late_billed bigint DEFAULT 0 NOT NULL,
    last_report_key text,
    CONSTRAINT tunnel_check CHECK (((closed_at IS NULL) = (close_reason IS NULL)))
)
WITH (fillfactor='80');
ALTER TABLE ONLY tunnel
    ADD CONSTRAINT tunnel_pkey PRIMARY KEY (account_id, tunnel_id);
CREATE INDEX tunnel_open_by_account ON tunnel USING btree (account_id, created_at) WHERE (closed_at IS NULL);
CREATE INDEX tunnel_open_by_subdomain ON tunnel USING btree (account_id, subdomain) WHERE (closed_at IS NULL);
CREATE INDEX tunnel_open_by_token ON tunnel USING btree (token_id) WHERE (closed_at IS NULL);

-- Closed UTC days, written when an account's day bucket rolls over; the series reads it in one query.
CREATE TABLE usage_daily (
    account_id bigint NOT NULL,
    day date NOT NULL,
    credit bigint NOT NULL,
    op bigint NOT NULL,
    byte_in bigint NOT NULL,
    byte_out bigint NOT NULL,
    session_second bigint NOT NULL,
    tunnel bigint NOT NULL
);
ALTER TABLE ONLY usage_daily
    ADD CONSTRAINT usage_daily_pkey PRIMARY KEY (account_id, day);

CREATE TABLE webhook_attempt (
    account_id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    attempt_id bigint NOT NULL,
    event_id uuid NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    status_code integer,
    error text
);
ALTER SEQUENCE webhook_attempt_id_seq OWNED BY webhook_attempt.attempt_id;
ALTER TABLE ONLY webhook_attempt ALTER COLUMN attempt_id SET DEFAULT nextval('webhook_attempt_id_seq'::regclass);
ALTER TABLE ONLY webhook_attempt
    ADD CONSTRAINT webhook_attempt_pkey PRIMARY KEY (account_id, endpoint_id, attempt_id);

CREATE TABLE webhook_delivery (
    account_id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id uuid NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_delivery_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);
ALTER TABLE ONLY webhook_delivery
    ADD CONSTRAINT webhook_delivery_pkey PRIMARY KEY (account_id, endpoint_id, event_id);
CREATE INDEX webhook_delivery_due ON webhook_delivery USING btree (next_attempt_at) WHERE (status = 'pending'::text);

CREATE TABLE webhook_endpoint (
    account_id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    secret text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    secret_ciphertext text,
    CONSTRAINT webhook_endpoint_secret_present CHECK (((secret IS NOT NULL) OR (secret_ciphertext IS NOT NULL)))
);
ALTER TABLE ONLY webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_pkey PRIMARY KEY (account_id, endpoint_id);

-- The durable outbox: an event, and one delivery per endpoint that wanted it, are written in the transaction that
-- caused them, so a crash or restart loses nothing; senders claim due deliveries with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_event (
    account_id bigint NOT NULL,
    event_id uuid NOT NULL,
    type text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    data jsonb NOT NULL
);
ALTER TABLE ONLY webhook_event
    ADD CONSTRAINT webhook_event_pkey PRIMARY KEY (account_id, event_id);

CREATE TABLE worker (
    account_id bigint NOT NULL,
    worker_id uuid NOT NULL,
    name text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    quarantined_at timestamp with time zone,
    CONSTRAINT worker_status_check CHECK ((status = ANY (ARRAY['active'::text, 'quarantined'::text])))
);
ALTER TABLE ONLY worker
    ADD CONSTRAINT worker_account_id_name_key UNIQUE (account_id, name);
ALTER TABLE ONLY worker
    ADD CONSTRAINT worker_pkey PRIMARY KEY (account_id, worker_id);

-- Foreign keys (Citus keeps them between colocated tables and towards reference tables).
ALTER TABLE ONLY account_member
    ADD CONSTRAINT account_member_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY account
    ADD CONSTRAINT account_plan_fk FOREIGN KEY (plan) REFERENCES plan(plan_id);
ALTER TABLE ONLY account_usage
    ADD CONSTRAINT account_usage_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY api_token
    ADD CONSTRAINT api_token_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY idempotency_key
    ADD CONSTRAINT idempotency_key_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY reserved_subdomain
    ADD CONSTRAINT reserved_subdomain_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY stripe_subscription
    ADD CONSTRAINT stripe_subscription_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY tunnel
    ADD CONSTRAINT tunnel_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY usage_daily
    ADD CONSTRAINT usage_daily_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY webhook_attempt
    ADD CONSTRAINT webhook_attempt_account_id_endpoint_id_fkey FOREIGN KEY (account_id, endpoint_id) REFERENCES webhook_endpoint(account_id, endpoint_id) ON DELETE CASCADE;
ALTER TABLE ONLY webhook_delivery
    ADD CONSTRAINT webhook_delivery_account_id_endpoint_id_fkey FOREIGN KEY (account_id, endpoint_id) REFERENCES webhook_endpoint(account_id, endpoint_id) ON DELETE CASCADE;
ALTER TABLE ONLY webhook_delivery
    ADD CONSTRAINT webhook_delivery_account_id_event_id_fkey FOREIGN KEY (account_id, event_id) REFERENCES webhook_event(account_id, event_id) ON DELETE CASCADE;
ALTER TABLE ONLY webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY webhook_event
    ADD CONSTRAINT webhook_event_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
ALTER TABLE ONLY worker
    ADD CONSTRAINT worker_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;

-- The plan catalogue the server enforces; null = unlimited, 0 in the meters = unmetered.
INSERT INTO plan VALUES
    ('free',    'Free',    0, 1, 1,    0,  60,   0, 7200, 5368709120, 7200),
    ('starter', 'Starter', 1, 2, 2,    0,  300,  0, null, 0, 0),
    ('pro',     'Pro',     2, 5, null, 10, 1000, 1, null, 0, 0);

INSERT INTO global_allocation (id, day_allocated, month_allocated) VALUES (1, 0, 0);
