-- Sluice schema, version 3: team read access and outgoing webhooks (§6).

-- A member account's tokens may read the owner's usage (X-Account: <owner>); the owner's limits stay the cap.
create table account_member (
    account_id         bigint      not null references account (account_id) on delete cascade,
    member_account_id  bigint      not null references account (account_id) on delete cascade,
    role               text        not null check (role in ('viewer')),
    created_at         timestamptz not null default now(),
    primary key (account_id, member_account_id),
    check (account_id <> member_account_id)
);

create table webhook_endpoint (
    account_id   bigint      not null references account (account_id) on delete cascade,
    endpoint_id  uuid        not null,
    url          text        not null,
    events       text[]      not null,
    -- The HMAC key must be readable to sign with, as with Stripe's endpoint secrets; it is never listed.
    secret       text        not null,
    created_at   timestamptz not null default now(),
    primary key (account_id, endpoint_id)
);

-- The durable outbox: an event, and one delivery per endpoint that wanted it, are written in the transaction that
-- caused them, so a crash or restart loses nothing; senders claim due deliveries with FOR UPDATE SKIP LOCKED.
create table webhook_event (
    account_id  bigint      not null references account (account_id) on delete cascade,
    event_id    uuid        not null,
    type        text        not null,
    created_at  timestamptz not null default now(),
    data        jsonb       not null,
    primary key (account_id, event_id)
);

create table webhook_delivery (
    account_id       bigint      not null,
    endpoint_id      uuid        not null,
    event_id         uuid        not null,
    status           text        not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    primary key (account_id, endpoint_id, event_id),
    foreign key (account_id, endpoint_id) references webhook_endpoint (account_id, endpoint_id) on delete cascade,
    foreign key (account_id, event_id) references webhook_event (account_id, event_id) on delete cascade
);
create index webhook_delivery_due on webhook_delivery (next_attempt_at) where status = 'pending';

create table webhook_attempt (
    account_id    bigint      not null,
    endpoint_id   uuid        not null,
    attempt_id    bigint      generated always as identity,
    event_id      uuid        not null,
    attempted_at  timestamptz not null default now(),
    status_code   integer,
    error         text,
    primary key (account_id, endpoint_id, attempt_id),
    foreign key (account_id, endpoint_id) references webhook_endpoint (account_id, endpoint_id) on delete cascade
);

-- Queues an event for every endpoint of the account that subscribed to its type; nothing when none did.
create function enqueue_event(p_account bigint, p_type text, p_data jsonb) returns void
language sql as $$
    with wanted as (
        select w.endpoint_id from webhook_endpoint w where w.account_id = p_account and p_type = any (w.events)
    ), event as (
        insert into webhook_event (account_id, event_id, type, data)
        select p_account, gen_random_uuid(), p_type, p_data where exists (select 1 from wanted)
        returning event_id
    )
    insert into webhook_delivery (account_id, endpoint_id, event_id)
    select p_account, wanted.endpoint_id, event.event_id from wanted, event
$$;

-- Called by the credit functions of V2 after they store a usage row: one event per change of level, never one
-- per request, because it fires only when the stored level differs from the one before.
create function notify_level(p_account bigint, p_previous text, u account_usage, p_day_limit bigint,
                             p_month_limit bigint) returns void
language plpgsql as $$
begin
    if p_previous is null or p_previous = u.level then
        return;
    end if;
    perform enqueue_event(p_account,
        case
            when u.level = 'exceeded' then 'quota.exceeded'
            when u.level = 'warn' and p_previous = 'ok' then 'quota.warning_80pct'
            else 'quota.recovered'
        end,
        jsonb_build_object('level', u.level, 'previousLevel', p_previous,
            'day', jsonb_build_object('used', u.day_used, 'leased', u.day_leased, 'limit', p_day_limit),
            'month', jsonb_build_object('used', u.month_used, 'leased', u.month_leased, 'limit', p_month_limit)));
end $$;
