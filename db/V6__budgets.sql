-- Budgets and alert rules (contract §12), and what each token's tunnels were billed, per UTC day.
--
-- A budget narrows one account's spending in a day or month window, for the whole account (token_id null) or for the
-- tunnels one token registered (token_id; rolled_from holds the tokens it was rolled from, whose tunnels still count;
-- the nil uuid stands for TUNNEL_SECRET). What a budget has spent is not stored: it is what its scope was billed
-- since the window's start, the usage row's day or month for the whole account, token_daily's rows for tokens, both
-- written by the same statements that bill. The alert state (window_start, thresholds_sent, next_alert) changes under
-- the account's credit lock when a threshold is sent, and the budget count on the usage row lets a settlement of an
-- account without budgets skip the table.
alter table account_usage
    add column budget_count integer default 0 not null;

-- thresholds: [{pct|usd, credits, key}] in the owner's order; key names a threshold across edits of the limit, and
-- thresholds_sent holds the keys already sent in the window that starts at window_start; next_alert is the smallest
-- credits of a threshold not sent yet (null: none), so a charge that crosses nothing costs one comparison, and
-- first_alert the smallest of all, which next_alert becomes when a window starts.
CREATE TABLE budget (
    account_id bigint NOT NULL,
    budget_id uuid NOT NULL,
    name text,
    token_id uuid,
    rolled_from uuid[] DEFAULT '{}' NOT NULL,
    period text NOT NULL,
    limit_credits bigint NOT NULL,
    action text NOT NULL,
    thresholds jsonb DEFAULT '[]' NOT NULL,
    window_start date NOT NULL,
    thresholds_sent text[] DEFAULT '{}' NOT NULL,
    next_alert bigint,
    first_alert bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT budget_period_check CHECK (period IN ('day', 'month')),
    CONSTRAINT budget_limit_check CHECK (limit_credits BETWEEN 1 AND 1000000000000000),
    CONSTRAINT budget_action_check CHECK (action IN ('notify', 'block'))
);
ALTER TABLE ONLY budget
    ADD CONSTRAINT budget_pkey PRIMARY KEY (account_id, budget_id);
ALTER TABLE ONLY budget
    ADD CONSTRAINT budget_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;

-- Credits and meters billed to one token's tunnels in one UTC day (token_id: the nil uuid for TUNNEL_SECRET), added
-- to by every charge, so attribution and the series by token outlive the tunnels.
CREATE TABLE token_daily (
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
ALTER TABLE ONLY token_daily
    ADD CONSTRAINT token_daily_pkey PRIMARY KEY (account_id, day, token_id);
ALTER TABLE ONLY token_daily
    ADD CONSTRAINT token_daily_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;

-- What a settlement keeps of an account's budgets while it bills, as arrays in the budgets' order: one element per
-- budget, scalars only, so a call reads no budget row; covers says which budgets count token's tunnels (the token of
-- the call at hand).
create type budget_book as (
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

-- A refusal by a budget names it; the smallest remaining of the budgets in a call's scope goes to RateLimit-Remaining.
alter type settlement add attribute budget_id uuid, add attribute budget_remaining bigint;

-- Registration is charged to the token that registers; the old signature goes and the repeatable migration creates
-- the new one.
drop function if exists charge_registration(bigint, text);
