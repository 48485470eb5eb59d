-- Sluice schema, version 4: Stripe billing and the downgrade reconciler (§7).

alter table account
    add column stripe_subscription_id text,
    add column grace_until timestamptz;

-- The inbox: every Stripe event once, by id, with what it did (applied, duplicate-free by the key).
create table stripe_event (
    event_id      text        primary key,
    type          text        not null,
    created       bigint      not null,
    customer      text,
    subscription  text,
    received_at   timestamptz not null default now(),
    outcome       text        not null,
    payload       jsonb       not null
);
create index stripe_event_received on stripe_event (received_at desc);

-- The newest event applied per subscription, so an older one delivered late is recorded but ignored.
create table stripe_subscription (
    subscription_id     text   primary key,
    account_id          bigint not null references account (account_id) on delete cascade,
    last_event_created  bigint not null
);
