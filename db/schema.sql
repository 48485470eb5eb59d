-- The schema as the migrations leave it (pg_dump, functions left out: db/functions holds them). Checked by SchemaLayoutTest.

-- Name: budget_book; Type: TYPE; Schema: public; Owner: -

CREATE TYPE public.budget_book AS (
	budget_id uuid[],
	blocking boolean[],
	limit_credits bigint[],
	spent bigint[],
	held bigint[],
	next_alert bigint[],
	resets_at timestamp with time zone[],
	token uuid,
	covers boolean[]
);

-- Name: leased_credits; Type: DOMAIN; Schema: public; Owner: -

CREATE DOMAIN public.leased_credits AS bigint
	CONSTRAINT leased_credits_check CHECK ((VALUE >= 0));

-- Name: settlement; Type: TYPE; Schema: public; Owner: -

CREATE TYPE public.settlement AS (
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
	late_refused boolean,
	day_unbilled bigint,
	month_unbilled bigint,
	unbilled bigint,
	capped boolean,
	budget_id uuid,
	budget_remaining bigint,
	charged bigint
);

-- Name: tunnel_close_reason; Type: DOMAIN; Schema: public; Owner: -

CREATE DOMAIN public.tunnel_close_reason AS text
	CONSTRAINT tunnel_close_reason_check1 CHECK ((VALUE = ANY (ARRAY['closed'::text, 'suspended'::text, 'plan_downgrade'::text, 'inactive'::text, 'stale'::text, 'revoked'::text])));

-- Name: usage_level_name; Type: DOMAIN; Schema: public; Owner: -

CREATE DOMAIN public.usage_level_name AS text
	CONSTRAINT usage_level_name_check CHECK ((VALUE = ANY (ARRAY['ok'::text, 'warn'::text, 'exceeded'::text])));


SET default_tablespace = '';

SET default_table_access_method = heap;

-- Name: account_usage; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.account_usage (
    account_id bigint NOT NULL,
    day_start date NOT NULL,
    day_used bigint DEFAULT 0 NOT NULL,
    day_leased public.leased_credits DEFAULT 0 NOT NULL,
    day_ops bigint DEFAULT 0 NOT NULL,
    day_bytes_in bigint DEFAULT 0 NOT NULL,
    day_bytes_out bigint DEFAULT 0 NOT NULL,
    day_session_seconds bigint DEFAULT 0 NOT NULL,
    day_tunnels bigint DEFAULT 0 NOT NULL,
    month_start date NOT NULL,
    month_used bigint DEFAULT 0 NOT NULL,
    month_leased public.leased_credits DEFAULT 0 NOT NULL,
    month_overshoot bigint DEFAULT 0 NOT NULL,
    bytes_window_start timestamp with time zone,
    bytes_used bigint DEFAULT 0 NOT NULL,
    session_window_start timestamp with time zone,
    session_seconds_used bigint DEFAULT 0 NOT NULL,
    level public.usage_level_name DEFAULT 'ok'::text NOT NULL,
    day_overshoot bigint DEFAULT 0 NOT NULL,
    day_unbilled bigint DEFAULT 0 NOT NULL,
    month_unbilled bigint DEFAULT 0 NOT NULL,
    balance bigint DEFAULT 0 NOT NULL,
    ledger_seq bigint DEFAULT 0 NOT NULL,
    grants_due_at timestamp with time zone,
    balance_alert_below bigint,
    balance_low_sent boolean DEFAULT false NOT NULL,
    balance_depleted_sent boolean DEFAULT true NOT NULL,
    budget_count integer DEFAULT 0 NOT NULL
);

-- Name: budget; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.budget (
    account_id bigint NOT NULL,
    budget_id uuid NOT NULL,
    name text,
    token_id uuid,
    rolled_from uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    period text NOT NULL,
    limit_credits bigint NOT NULL,
    action text NOT NULL,
    thresholds jsonb DEFAULT '[]'::jsonb NOT NULL,
    window_start date NOT NULL,
    thresholds_sent text[] DEFAULT '{}'::text[] NOT NULL,
    next_alert bigint,
    first_alert bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT budget_action_check CHECK ((action = ANY (ARRAY['notify'::text, 'block'::text]))),
    CONSTRAINT budget_limit_check CHECK (((limit_credits >= 1) AND (limit_credits <= '1000000000000000'::bigint))),
    CONSTRAINT budget_period_check CHECK ((period = ANY (ARRAY['day'::text, 'month'::text])))
);

-- Name: token_daily; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.token_daily (
    account_id bigint NOT NULL,
    day date NOT NULL,
    token_id uuid NOT NULL,
    credit bigint DEFAULT 0 NOT NULL,
    op bigint DEFAULT 0 NOT NULL,
    byte_in bigint DEFAULT 0 NOT NULL,
    byte_out bigint DEFAULT 0 NOT NULL,
    session_second bigint DEFAULT 0 NOT NULL,
    tunnel bigint DEFAULT 0 NOT NULL,
    unbilled bigint DEFAULT 0 NOT NULL
);

-- Name: account; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.account (
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
    funding text DEFAULT 'postpaid'::text NOT NULL,
    CONSTRAINT account_check CHECK (((status = 'active'::text) = (suspended_by IS NULL))),
    CONSTRAINT account_concurrent_max_check CHECK ((concurrent_max >= 1)),
    CONSTRAINT account_day_limit_check CHECK ((day_limit >= 0)),
    CONSTRAINT account_funding_check CHECK ((funding = ANY (ARRAY['postpaid'::text, 'prepaid'::text]))),
    CONSTRAINT account_lease_chunk_check CHECK ((lease_chunk >= 1)),
    CONSTRAINT account_month_limit_check CHECK ((month_limit >= 0)),
    CONSTRAINT account_slug_check CHECK ((slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'::text)),
    CONSTRAINT account_status_check CHECK ((status = ANY (ARRAY['active'::text, 'suspended'::text]))),
    CONSTRAINT account_suspended_by_check CHECK ((suspended_by = ANY (ARRAY['root'::text, 'service'::text])))
);

-- Name: account_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: account_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.account_id_seq OWNED BY public.account.account_id;

-- Name: account_member; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.account_member (
    account_id bigint NOT NULL,
    member_account_id bigint NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT account_member_check CHECK ((account_id <> member_account_id)),
    CONSTRAINT account_member_role_check CHECK ((role = 'viewer'::text))
);

-- Name: account_slug; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.account_slug (
    slug text NOT NULL,
    account_id bigint NOT NULL
);

-- Name: api_token; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.api_token (
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

-- Name: audit_entry; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.audit_entry (
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

-- Name: audit_entry_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.audit_entry_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: audit_entry_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.audit_entry_id_seq OWNED BY public.audit_entry.entry_id;

-- Name: credit_grant; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.credit_grant (
    account_id bigint NOT NULL,
    grant_id uuid NOT NULL,
    credits bigint NOT NULL,
    remaining bigint NOT NULL,
    category text NOT NULL,
    priority smallint NOT NULL,
    effective_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    voided_at timestamp with time zone,
    state text DEFAULT 'pending'::text NOT NULL,
    source text NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    idempotency_key text,
    request_fingerprint text,
    stripe_invoice_id text,
    stripe_amount_paid bigint,
    CONSTRAINT credit_grant_category_check CHECK ((category = ANY (ARRAY['paid'::text, 'promotional'::text]))),
    CONSTRAINT credit_grant_credits_check CHECK (((credits >= 0) AND (credits <= '1000000000000000'::bigint))),
    CONSTRAINT credit_grant_expiry_check CHECK ((expires_at > effective_at)),
    CONSTRAINT credit_grant_priority_check CHECK (((priority >= 0) AND (priority <= 100))),
    CONSTRAINT credit_grant_remaining_check CHECK (((remaining >= 0) AND (remaining <= credits))),
    CONSTRAINT credit_grant_source_check CHECK ((source = ANY (ARRAY['root'::text, 'stripe'::text]))),
    CONSTRAINT credit_grant_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'active'::text, 'expired'::text, 'voided'::text])))
);

-- Name: credit_ledger; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.credit_ledger (
    account_id bigint NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    grant_id uuid,
    credits bigint NOT NULL,
    balance bigint NOT NULL,
    request_id text,
    CONSTRAINT credit_ledger_kind_check CHECK ((kind = ANY (ARRAY['grant'::text, 'consume'::text, 'expire'::text, 'void'::text])))
);

-- Name: global_allocation; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.global_allocation (
    id smallint NOT NULL,
    day_allocated bigint NOT NULL,
    month_allocated bigint NOT NULL,
    CONSTRAINT global_allocation_day_allocated_check CHECK ((day_allocated >= 0)),
    CONSTRAINT global_allocation_id_check CHECK ((id = 1)),
    CONSTRAINT global_allocation_month_allocated_check CHECK ((month_allocated >= 0))
);

-- Name: idempotency_key; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.idempotency_key (
    account_id bigint NOT NULL,
    idem_key text NOT NULL,
    kind text NOT NULL,
    tunnel_id uuid,
    fingerprint text NOT NULL,
    result jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT idempotency_key_kind_check CHECK ((kind = ANY (ARRAY['register'::text, 'lease'::text, 'close'::text])))
);

-- Name: plan; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.plan (
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

-- Name: reserved_subdomain; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.reserved_subdomain (
    account_id bigint NOT NULL,
    name text NOT NULL,
    reserved_at timestamp with time zone DEFAULT now() NOT NULL
);

-- Name: stripe_event; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.stripe_event (
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

-- Name: stripe_event_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.stripe_event_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: stripe_event_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.stripe_event_seq OWNED BY public.stripe_event.seq;

-- Name: stripe_subscription; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.stripe_subscription (
    subscription_id text NOT NULL,
    account_id bigint NOT NULL,
    last_event_created bigint NOT NULL,
    kind text NOT NULL,
    CONSTRAINT stripe_subscription_kind_check CHECK ((kind = ANY (ARRAY['subscription'::text, 'invoice'::text])))
);

-- Name: subdomain_claim; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.subdomain_claim (
    name text NOT NULL,
    holder_account_id bigint NOT NULL
);

-- Name: subdomain_release; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.subdomain_release (
    account_id bigint NOT NULL,
    name text NOT NULL,
    released_at timestamp with time zone NOT NULL
);

-- Name: tunnel; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.tunnel (
    account_id bigint NOT NULL,
    tunnel_id uuid NOT NULL,
    token_id uuid,
    subdomain text NOT NULL,
    password_protected boolean NOT NULL,
    region text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    last_activity_at timestamp with time zone DEFAULT now() NOT NULL,
    held public.leased_credits DEFAULT 0 NOT NULL,
    consumed bigint DEFAULT 0 NOT NULL,
    bytes_in bigint DEFAULT 0 NOT NULL,
    bytes_out bigint DEFAULT 0 NOT NULL,
    session_seconds bigint DEFAULT 0 NOT NULL,
    closed_at timestamp with time zone,
    close_reason public.tunnel_close_reason,
    held_at_close bigint DEFAULT 0 NOT NULL,
    late_consumed bigint DEFAULT 0 NOT NULL,
    last_report_key text,
    unbilled bigint DEFAULT 0 NOT NULL,
    capped_on date,
    CONSTRAINT tunnel_check CHECK (((closed_at IS NULL) = (close_reason IS NULL)))
)
WITH (fillfactor='80');

-- Name: usage_daily; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.usage_daily (
    account_id bigint NOT NULL,
    day date NOT NULL,
    credit bigint NOT NULL,
    op bigint NOT NULL,
    byte_in bigint NOT NULL,
    byte_out bigint NOT NULL,
    session_second bigint NOT NULL,
    tunnel bigint NOT NULL
);

-- Name: webhook_attempt; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.webhook_attempt (
    account_id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    attempt_id bigint NOT NULL,
    event_id uuid NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    status_code integer,
    error text
);

-- Name: webhook_attempt_id_seq; Type: SEQUENCE; Schema: public; Owner: -

CREATE SEQUENCE public.webhook_attempt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

-- Name: webhook_attempt_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -

ALTER SEQUENCE public.webhook_attempt_id_seq OWNED BY public.webhook_attempt.attempt_id;

-- Name: webhook_delivery; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.webhook_delivery (
    account_id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id uuid NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_delivery_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);

-- Name: webhook_endpoint; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.webhook_endpoint (
    account_id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    secret text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    secret_ciphertext text,
    CONSTRAINT webhook_endpoint_secret_present CHECK (((secret IS NOT NULL) OR (secret_ciphertext IS NOT NULL)))
);

-- Name: webhook_event; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.webhook_event (
    account_id bigint NOT NULL,
    event_id uuid NOT NULL,
    type text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    data jsonb NOT NULL
);

-- Name: worker; Type: TABLE; Schema: public; Owner: -

CREATE TABLE public.worker (
    account_id bigint NOT NULL,
    worker_id uuid NOT NULL,
    name text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    quarantined_at timestamp with time zone,
    CONSTRAINT worker_status_check CHECK ((status = ANY (ARRAY['active'::text, 'quarantined'::text])))
);

-- Name: account account_id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.account ALTER COLUMN account_id SET DEFAULT nextval('public.account_id_seq'::regclass);

-- Name: audit_entry entry_id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.audit_entry ALTER COLUMN entry_id SET DEFAULT nextval('public.audit_entry_id_seq'::regclass);

-- Name: stripe_event seq; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.stripe_event ALTER COLUMN seq SET DEFAULT nextval('public.stripe_event_seq'::regclass);

-- Name: webhook_attempt attempt_id; Type: DEFAULT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_attempt ALTER COLUMN attempt_id SET DEFAULT nextval('public.webhook_attempt_id_seq'::regclass);

-- Name: account_member account_member_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account_member
    ADD CONSTRAINT account_member_pkey PRIMARY KEY (account_id, member_account_id);

-- Name: account account_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (account_id);

-- Name: account_slug account_slug_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account_slug
    ADD CONSTRAINT account_slug_pkey PRIMARY KEY (slug);

-- Name: account_usage account_usage_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account_usage
    ADD CONSTRAINT account_usage_pkey PRIMARY KEY (account_id);

-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (account_id, token_hash);

-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (account_id, token_id);

-- Name: audit_entry audit_entry_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.audit_entry
    ADD CONSTRAINT audit_entry_pkey PRIMARY KEY (account_id, entry_id);

-- Name: budget budget_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.budget
    ADD CONSTRAINT budget_pkey PRIMARY KEY (account_id, budget_id);

-- Name: credit_grant credit_grant_idempotency_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.credit_grant
    ADD CONSTRAINT credit_grant_idempotency_key UNIQUE (account_id, idempotency_key);

-- Name: credit_grant credit_grant_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.credit_grant
    ADD CONSTRAINT credit_grant_pkey PRIMARY KEY (account_id, grant_id);

-- Name: credit_grant credit_grant_stripe_invoice; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.credit_grant
    ADD CONSTRAINT credit_grant_stripe_invoice UNIQUE (account_id, stripe_invoice_id);

-- Name: credit_ledger credit_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.credit_ledger
    ADD CONSTRAINT credit_ledger_pkey PRIMARY KEY (account_id, seq);

-- Name: global_allocation global_allocation_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.global_allocation
    ADD CONSTRAINT global_allocation_pkey PRIMARY KEY (id);

-- Name: idempotency_key idempotency_key_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.idempotency_key
    ADD CONSTRAINT idempotency_key_pkey PRIMARY KEY (account_id, idem_key);

-- Name: plan plan_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.plan
    ADD CONSTRAINT plan_pkey PRIMARY KEY (plan_id);

-- Name: plan plan_rank_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.plan
    ADD CONSTRAINT plan_rank_key UNIQUE (rank);

-- Name: reserved_subdomain reserved_subdomain_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.reserved_subdomain
    ADD CONSTRAINT reserved_subdomain_pkey PRIMARY KEY (account_id, name);

-- Name: stripe_event stripe_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.stripe_event
    ADD CONSTRAINT stripe_event_pkey PRIMARY KEY (event_id);

-- Name: stripe_subscription stripe_subscription_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.stripe_subscription
    ADD CONSTRAINT stripe_subscription_pkey PRIMARY KEY (account_id, subscription_id, kind);

-- Name: subdomain_claim subdomain_claim_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.subdomain_claim
    ADD CONSTRAINT subdomain_claim_pkey PRIMARY KEY (name);

-- Name: subdomain_release subdomain_release_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.subdomain_release
    ADD CONSTRAINT subdomain_release_pkey PRIMARY KEY (account_id, name);

-- Name: token_daily token_daily_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.token_daily
    ADD CONSTRAINT token_daily_pkey PRIMARY KEY (account_id, day, token_id);

-- Name: tunnel tunnel_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.tunnel
    ADD CONSTRAINT tunnel_pkey PRIMARY KEY (account_id, tunnel_id);

-- Name: usage_daily usage_daily_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.usage_daily
    ADD CONSTRAINT usage_daily_pkey PRIMARY KEY (account_id, day);

-- Name: webhook_attempt webhook_attempt_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_attempt
    ADD CONSTRAINT webhook_attempt_pkey PRIMARY KEY (account_id, endpoint_id, attempt_id);

-- Name: webhook_delivery webhook_delivery_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_delivery
    ADD CONSTRAINT webhook_delivery_pkey PRIMARY KEY (account_id, endpoint_id, event_id);

-- Name: webhook_endpoint webhook_endpoint_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_pkey PRIMARY KEY (account_id, endpoint_id);

-- Name: webhook_event webhook_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_event
    ADD CONSTRAINT webhook_event_pkey PRIMARY KEY (account_id, event_id);

-- Name: worker worker_account_id_name_key; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.worker
    ADD CONSTRAINT worker_account_id_name_key UNIQUE (account_id, name);

-- Name: worker worker_pkey; Type: CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.worker
    ADD CONSTRAINT worker_pkey PRIMARY KEY (account_id, worker_id);

-- Name: account_by_stripe_customer; Type: INDEX; Schema: public; Owner: -

CREATE INDEX account_by_stripe_customer ON public.account USING btree (stripe_customer_id) WHERE (stripe_customer_id IS NOT NULL);

-- Name: account_member_by_member; Type: INDEX; Schema: public; Owner: -

CREATE INDEX account_member_by_member ON public.account_member USING btree (member_account_id);

-- Name: audit_entry_account; Type: INDEX; Schema: public; Owner: -

CREATE INDEX audit_entry_account ON public.audit_entry USING btree (account_slug, entry_id);

-- Name: audit_entry_at; Type: INDEX; Schema: public; Owner: -

CREATE INDEX audit_entry_at ON public.audit_entry USING btree (account_id, at);

-- Name: audit_entry_newest; Type: INDEX; Schema: public; Owner: -

CREATE INDEX audit_entry_newest ON public.audit_entry USING btree (entry_id);

-- Name: credit_grant_drawable; Type: INDEX; Schema: public; Owner: -

CREATE INDEX credit_grant_drawable ON public.credit_grant USING btree (account_id, priority, expires_at) WHERE ((state = 'active'::text) AND (remaining > 0));

-- Name: idempotency_key_by_age; Type: INDEX; Schema: public; Owner: -

CREATE INDEX idempotency_key_by_age ON public.idempotency_key USING btree (account_id, created_at);

-- Name: stripe_event_received; Type: INDEX; Schema: public; Owner: -

CREATE INDEX stripe_event_received ON public.stripe_event USING btree (received_at DESC);

-- Name: stripe_event_unlinked; Type: INDEX; Schema: public; Owner: -

CREATE INDEX stripe_event_unlinked ON public.stripe_event USING btree (customer, created, seq) WHERE (outcome = 'unknown_customer'::text);

-- Name: tunnel_by_subdomain; Type: INDEX; Schema: public; Owner: -

CREATE INDEX tunnel_by_subdomain ON public.tunnel USING btree (account_id, subdomain);

-- Name: tunnel_closed; Type: INDEX; Schema: public; Owner: -

CREATE INDEX tunnel_closed ON public.tunnel USING btree (account_id, closed_at) WHERE (closed_at IS NOT NULL);

-- Name: tunnel_open_by_account; Type: INDEX; Schema: public; Owner: -

CREATE INDEX tunnel_open_by_account ON public.tunnel USING btree (account_id, created_at) WHERE (closed_at IS NULL);

-- Name: tunnel_open_by_subdomain; Type: INDEX; Schema: public; Owner: -

CREATE INDEX tunnel_open_by_subdomain ON public.tunnel USING btree (account_id, subdomain) WHERE (closed_at IS NULL);

-- Name: tunnel_open_by_token; Type: INDEX; Schema: public; Owner: -

CREATE INDEX tunnel_open_by_token ON public.tunnel USING btree (token_id) WHERE (closed_at IS NULL);

-- Name: usage_daily_by_day; Type: INDEX; Schema: public; Owner: -

CREATE INDEX usage_daily_by_day ON public.usage_daily USING btree (day, account_id);

-- Name: webhook_attempt_by_event; Type: INDEX; Schema: public; Owner: -

CREATE INDEX webhook_attempt_by_event ON public.webhook_attempt USING btree (account_id, event_id);

-- Name: webhook_delivery_by_event; Type: INDEX; Schema: public; Owner: -

CREATE INDEX webhook_delivery_by_event ON public.webhook_delivery USING btree (account_id, event_id);

-- Name: webhook_delivery_due; Type: INDEX; Schema: public; Owner: -

CREATE INDEX webhook_delivery_due ON public.webhook_delivery USING btree (next_attempt_at) WHERE (status = 'pending'::text);

-- Name: webhook_event_created; Type: INDEX; Schema: public; Owner: -

CREATE INDEX webhook_event_created ON public.webhook_event USING btree (account_id, created_at);

-- Name: account_member account_member_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account_member
    ADD CONSTRAINT account_member_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: account account_plan_fk; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_plan_fk FOREIGN KEY (plan) REFERENCES public.plan(plan_id);

-- Name: account_usage account_usage_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.account_usage
    ADD CONSTRAINT account_usage_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: api_token api_token_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: budget budget_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.budget
    ADD CONSTRAINT budget_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: credit_grant credit_grant_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.credit_grant
    ADD CONSTRAINT credit_grant_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: credit_ledger credit_ledger_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.credit_ledger
    ADD CONSTRAINT credit_ledger_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: idempotency_key idempotency_key_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.idempotency_key
    ADD CONSTRAINT idempotency_key_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: reserved_subdomain reserved_subdomain_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.reserved_subdomain
    ADD CONSTRAINT reserved_subdomain_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: stripe_subscription stripe_subscription_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.stripe_subscription
    ADD CONSTRAINT stripe_subscription_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: subdomain_release subdomain_release_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.subdomain_release
    ADD CONSTRAINT subdomain_release_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: token_daily token_daily_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.token_daily
    ADD CONSTRAINT token_daily_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: tunnel tunnel_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.tunnel
    ADD CONSTRAINT tunnel_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: usage_daily usage_daily_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.usage_daily
    ADD CONSTRAINT usage_daily_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: webhook_attempt webhook_attempt_account_id_endpoint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_attempt
    ADD CONSTRAINT webhook_attempt_account_id_endpoint_id_fkey FOREIGN KEY (account_id, endpoint_id) REFERENCES public.webhook_endpoint(account_id, endpoint_id) ON DELETE CASCADE;

-- Name: webhook_delivery webhook_delivery_account_id_endpoint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_delivery
    ADD CONSTRAINT webhook_delivery_account_id_endpoint_id_fkey FOREIGN KEY (account_id, endpoint_id) REFERENCES public.webhook_endpoint(account_id, endpoint_id) ON DELETE CASCADE;

-- Name: webhook_delivery webhook_delivery_account_id_event_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_delivery
    ADD CONSTRAINT webhook_delivery_account_id_event_id_fkey FOREIGN KEY (account_id, event_id) REFERENCES public.webhook_event(account_id, event_id) ON DELETE CASCADE;

-- Name: webhook_endpoint webhook_endpoint_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: webhook_event webhook_event_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.webhook_event
    ADD CONSTRAINT webhook_event_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;

-- Name: worker worker_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -

ALTER TABLE ONLY public.worker
    ADD CONSTRAINT worker_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(account_id) ON DELETE CASCADE;
