-- Sluice schema, version 1: accounts, their tokens, the global ceiling and the audit log.
-- Every account-scoped table carries account_id in its primary key so that the schema can be
-- distributed by account (Citus) without rewriting keys.

create table account (
    account_id          bigint generated always as identity primary key,
    slug                text        not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name                text,
    email               text,
    status              text        not null default 'active' check (status in ('active', 'suspended')),
    suspended_by        text        check (suspended_by in ('root', 'service')),
    plan                text        not null default 'free',
    day_limit           bigint      not null check (day_limit >= 0),
    month_limit         bigint      not null check (month_limit >= 0),
    concurrent_max      integer     not null check (concurrent_max >= 1),
    lease_chunk         bigint      not null check (lease_chunk >= 1),
    stripe_customer_id  text unique,
    created_at          timestamptz not null default now(),
    check ((status = 'active') = (suspended_by is null))
);

-- One row holding Σ of all accounts' limits. Every change to an account limit updates this row in the
-- same transaction with a conditional UPDATE; the row lock serialises concurrent changes across all
-- replicas, and PostgreSQL re-evaluates the WHERE clause on the locked row, so two racing raises can
-- never both pass the ceiling.
create table global_allocation (
    id              smallint primary key check (id = 1),
    day_allocated   bigint not null check (day_allocated >= 0),
    month_allocated bigint not null check (month_allocated >= 0)
);
insert into global_allocation (id, day_allocated, month_allocated) values (1, 0, 0);

create table api_token (
    account_id    bigint      not null references account (account_id) on delete cascade,
    token_id      uuid        not null,
    kind          text        not null check (kind in ('api', 'service')),
    name          text,
    token_hash    text        not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    last4         text        not null,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    primary key (account_id, token_id)
);
create unique index api_token_id on api_token (token_id);

create table audit_entry (
    entry_id      bigint generated always as identity primary key,
    at            timestamptz not null default now(),
    actor_kind    text        not null,
    actor_id      text        not null,
    action        text        not null,
    account_slug  text,
    target        text,
    outcome       text        not null,
    request_id    text,
    detail        text
);
create index audit_entry_account on audit_entry (account_slug, entry_id);
