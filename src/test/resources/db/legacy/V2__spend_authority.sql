-- Sluice schema, version 2: the spend authority (§5). Plans as data, per-account usage counters, tunnels,
-- reserved subdomains, workers, the daily usage history, and the lease and close functions. The functions call
-- notify_level and enqueue_event, defined with the webhook outbox in V3 (PL/pgSQL binds them when it runs).

-- The plan catalogue the server enforces (§7); null = unlimited, 0 in the meters = unmetered.
create table plan (
    plan_id                     text primary key,
    name                        text    not null,
    rank                        integer not null unique,
    tunnels                     integer not null,
    password_tunnels            integer,
    reserved_subdomains         integer not null,
    requests_per_minute         integer not null,
    workers                     integer not null,
    inactivity_timeout_seconds  integer,
    bytes_per_7d                bigint  not null,
    session_seconds_per_24h     bigint  not null
);
insert into plan values
    ('free',    'Free',    0, 1, 1,    0,  60,   0, 7200, 5368709120, 7200),
    ('starter', 'Starter', 1, 2, 2,    0,  300,  0, null, 0, 0),
    ('pro',     'Pro',     2, 5, null, 10, 1000, 1, null, 0, 0);
alter table account add constraint account_plan_fk foreign key (plan) references plan (plan_id);

-- What an account has spent and holds. Its row lock is the serialisation point of every credit movement
-- (registration, lease, close, reapers), so it is kept apart from the account's settings.
create table account_usage (
    account_id            bigint primary key references account (account_id) on delete cascade,
    day_start             date    not null,
    day_used              bigint  not null default 0,
    day_leased            bigint  not null default 0 check (day_leased >= 0),
    day_ops               bigint  not null default 0,
    day_bytes_in          bigint  not null default 0,
    day_bytes_out         bigint  not null default 0,
    day_session_seconds   bigint  not null default 0,
    day_tunnels           bigint  not null default 0,
    month_start           date    not null,
    month_used            bigint  not null default 0,
    month_leased          bigint  not null default 0 check (month_leased >= 0),
    overshoot             bigint  not null default 0,
    bytes_window_start    timestamptz,
    bytes_used            bigint  not null default 0,
    session_window_start  timestamptz,
    session_seconds_used  bigint  not null default 0,
    level                 text    not null default 'ok' check (level in ('ok', 'warn', 'exceeded'))
);
insert into account_usage (account_id, day_start, month_start)
select account_id, (now() at time zone 'utc')::date, date_trunc('month', now() at time zone 'utc')::date
  from account;

-- Closed UTC days, written when an account's day bucket rolls over; the series reads it in one query.
create table usage_daily (
    account_id      bigint not null references account (account_id) on delete cascade,
    day             date   not null,
    credit          bigint not null,
    op              bigint not null,
    byte_in         bigint not null,
    byte_out        bigint not null,
    session_second  bigint not null,
    tunnel          bigint not null,
    primary key (account_id, day)
);

create table tunnel (
    account_id          bigint      not null references account (account_id) on delete cascade,
    tunnel_id           uuid        not null,
    token_id            uuid,
    subdomain           text        not null,
    password_protected  boolean     not null,
    region              text,
    created_at          timestamptz not null default now(),
    last_seen_at        timestamptz not null default now(),
    last_activity_at    timestamptz not null default now(),
    held                bigint      not null default 0 check (held >= 0),
    consumed            bigint      not null default 0,
    bytes_in            bigint      not null default 0,
    bytes_out           bigint      not null default 0,
    session_seconds     bigint      not null default 0,
    closed_at           timestamptz,
    close_reason        text check (close_reason in ('closed', 'suspended', 'plan_downgrade', 'inactive', 'stale', 'revoked')),
    primary key (account_id, tunnel_id),
    check ((closed_at is null) = (close_reason is null))
);
create unique index tunnel_open_subdomain on tunnel (subdomain) where closed_at is null;
create index tunnel_open_by_account on tunnel (account_id, created_at) where closed_at is null;
create index tunnel_open_by_last_seen on tunnel (last_seen_at) where closed_at is null;
create index tunnel_open_by_token on tunnel (token_id) where closed_at is null;

create table reserved_subdomain (
    account_id   bigint      not null references account (account_id) on delete cascade,
    name         text        not null unique,
    reserved_at  timestamptz not null default now(),
    primary key (account_id, name)
);

create table worker (
    account_id      bigint      not null references account (account_id) on delete cascade,
    worker_id       uuid        not null,
    name            text        not null,
    status          text        not null default 'active' check (status in ('active', 'quarantined')),
    created_at      timestamptz not null default now(),
    quarantined_at  timestamptz,
    primary key (account_id, worker_id),
    unique (account_id, name)
);

-- Locks the account's usage row (the credit lock) and rolls its windows lazily: a closed UTC day is archived
-- to usage_daily and its committed usage starts at zero; a new UTC month starts at zero; outstanding leases
-- carry over. The byte (7-day) and session (24-hour) windows end, and the next use starts a new one.
create function lock_usage(p_account bigint) returns account_usage
language plpgsql as $$
declare
    u account_usage;
    today date := (now() at time zone 'utc')::date;
    this_month date := date_trunc('month', now() at time zone 'utc')::date;
begin
    select * into u from account_usage where account_id = p_account for update;
    if not found then
        return null;
    end if;
    if u.day_start < today then
        insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel)
        values (p_account, u.day_start, u.day_used, u.day_ops, u.day_bytes_in, u.day_bytes_out,
                u.day_session_seconds, u.day_tunnels)
        on conflict (account_id, day) do nothing;
        u.day_start := today;
        u.day_used := 0;
        u.day_ops := 0;
        u.day_bytes_in := 0;
        u.day_bytes_out := 0;
        u.day_session_seconds := 0;
        u.day_tunnels := 0;
    end if;
    if u.month_start < this_month then
        u.month_start := this_month;
        u.month_used := 0;
    end if;
    if u.bytes_window_start is not null and u.bytes_window_start + interval '7 days' <= now() then
        u.bytes_window_start := null;
        u.bytes_used := 0;
    end if;
    if u.session_window_start is not null and u.session_window_start + interval '24 hours' <= now() then
        u.session_window_start := null;
        u.session_seconds_used := 0;
    end if;
    return u;
end $$;

-- Writes back a usage row changed in memory by the functions below.
create function store_usage(u account_usage) returns void
language sql as $$
    update account_usage set
        day_start = u.day_start, day_used = u.day_used, day_leased = u.day_leased, day_ops = u.day_ops,
        day_bytes_in = u.day_bytes_in, day_bytes_out = u.day_bytes_out,
        day_session_seconds = u.day_session_seconds, day_tunnels = u.day_tunnels,
        month_start = u.month_start, month_used = u.month_used, month_leased = u.month_leased,
        overshoot = u.overshoot, bytes_window_start = u.bytes_window_start, bytes_used = u.bytes_used,
        session_window_start = u.session_window_start, session_seconds_used = u.session_seconds_used,
        level = u.level
     where account_id = u.account_id
$$;

-- exceeded when any window has nothing left; otherwise warn from 80 % of the binding window (the one with less
-- remaining), else ok. In numeric, so no counter can overflow the arithmetic.
create function usage_level(u account_usage, day_limit bigint, month_limit bigint) returns text
language sql immutable as $$
    select case
        when day_left <= 0 or month_left <= 0 then 'exceeded'
        when (case when day_left <= month_left then (u.day_used + u.day_leased::numeric) * 10 - day_limit::numeric * 8
                   else (u.month_used + u.month_leased::numeric) * 10 - month_limit::numeric * 8 end) >= 0
            then 'warn'
        else 'ok'
    end
    from (select day_limit::numeric - u.day_used - u.day_leased as day_left,
                 month_limit::numeric - u.month_used - u.month_leased as month_left) remaining
$$;

-- When the window named by a 429's scope opens again.
create function window_reset(u account_usage, p_scope text) returns timestamptz
language sql immutable as $$
    select case p_scope
        when 'day' then ((u.day_start + 1)::timestamp at time zone 'utc')
        when 'month' then ((u.month_start + interval '1 month') at time zone 'utc')
        when 'bytes' then u.bytes_window_start + interval '7 days'
        when 'sessionSeconds' then u.session_window_start + interval '24 hours'
    end
$$;

-- Registration costs one credit: charged under the credit lock if both windows have some left, otherwise the
-- outcome is quota and nothing is charged. The caller already holds the lock (it counted open tunnels under it).
create function charge_registration(p_account bigint)
returns table (outcome text, scope text, level text, previous_level text, day_used bigint, day_leased bigint,
               day_limit bigint, month_used bigint, month_leased bigint, month_limit bigint, resets_at timestamptz)
language plpgsql as $$
#variable_conflict use_column
declare
    u account_usage;
    a record;
    v_previous text;
    v_scope text;
begin
    u := lock_usage(p_account);
    v_previous := u.level;
    select x.day_limit, x.month_limit into a from account x where x.account_id = p_account;
    if least(a.day_limit - u.day_used - u.day_leased, a.month_limit - u.month_used - u.month_leased) <= 0 then
        v_scope := case when a.day_limit - u.day_used - u.day_leased
                             <= a.month_limit - u.month_used - u.month_leased then 'day' else 'month' end;
    else
        u.day_used := u.day_used + 1;
        u.month_used := u.month_used + 1;
        u.day_tunnels := u.day_tunnels + 1;
    end if;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
    return query select case when v_scope is null then 'ok' else 'quota' end, v_scope, u.level, v_previous,
        u.day_used, u.day_leased, a.day_limit, u.month_used, u.month_leased, a.month_limit,
        window_reset(u, v_scope);
end $$;

-- The lease (and close) of one tunnel, as one statement from the application. Safe with any number of
-- replicas because lock_usage takes the account's account_usage row lock (FOR UPDATE) first: every credit
-- movement of the account is serialised on it, so "granted <= remaining" is decided on committed numbers.
--
-- First min(consumed, held) moves from leased to used; consumed beyond held is charged too and counted as
-- overshoot. A lease then grants min(want ?? leaseChunk, leaseChunk, dayRemaining, monthRemaining) on top of what
-- the tunnel still holds, so used + leased never passes the limit through a grant. A close returns what is still
-- held instead. The caller's token (p_token; null for the legacy secret) is re-checked
-- here, so a revocation stops spending at once on every replica whatever the authentication cache holds.
-- Outcomes: ok, quota (granted 0, nothing left), not_found, closed, unauthorized.
create function settle_tunnel(p_account bigint, p_tunnel uuid, p_token uuid, p_consumed bigint, p_want bigint,
                              p_bytes_in bigint, p_bytes_out bigint, p_close boolean)
returns table (outcome text, granted bigint, held bigint, returned bigint, close_reason text, scope text,
               level text, previous_level text, day_used bigint, day_leased bigint, day_limit bigint,
               month_used bigint, month_leased bigint, month_limit bigint, plan text, resets_at timestamptz)
language plpgsql as $$
#variable_conflict use_column
declare
    u account_usage;
    a record;
    t tunnel;
    p plan;
    v_commit bigint;
    v_held bigint;
    v_granted bigint := 0;
    v_returned bigint := 0;
    v_seconds bigint;
    v_bytes bigint := p_bytes_in + p_bytes_out;
    v_day_left bigint;
    v_month_left bigint;
    v_scope text;
    v_outcome text := 'ok';
    v_previous text;
begin
    if p_token is not null and not exists (
            select 1 from api_token k where k.account_id = p_account and k.token_id = p_token
               and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())) then
        return query select 'unauthorized', 0::bigint, 0::bigint, 0::bigint, null::text, null::text, null::text,
            null::text, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, null::text,
            null::timestamptz;
        return;
    end if;
    u := lock_usage(p_account);
    select * into t from tunnel where account_id = p_account and tunnel_id = p_tunnel;
    if u is null or not found then
        return query select 'not_found', 0::bigint, 0::bigint, 0::bigint, null::text, null::text, null::text,
            null::text, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, null::text,
            null::timestamptz;
        return;
    end if;
    if t.closed_at is not null then
        return query select 'closed', 0::bigint, 0::bigint, 0::bigint, t.close_reason, null::text, null::text,
            null::text, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, null::text,
            null::timestamptz;
        return;
    end if;
    select x.day_limit, x.month_limit, x.lease_chunk, x.plan into a from account x where x.account_id = p_account;
    select * into p from plan where plan_id = a.plan;
    v_previous := u.level;

    v_commit := least(p_consumed, t.held);
    v_held := t.held - v_commit;
    v_seconds := greatest(0, floor(extract(epoch from now() - t.last_seen_at)))::bigint;
    u.day_used := u.day_used + p_consumed;
    u.month_used := u.month_used + p_consumed;
    u.day_leased := u.day_leased - v_commit;
    u.month_leased := u.month_leased - v_commit;
    u.overshoot := u.overshoot + greatest(p_consumed - t.held, 0);
    u.day_ops := u.day_ops + p_consumed;
    u.day_bytes_in := u.day_bytes_in + p_bytes_in;
    u.day_bytes_out := u.day_bytes_out + p_bytes_out;
    u.day_session_seconds := u.day_session_seconds + v_seconds;
    if v_bytes > 0 then
        u.bytes_window_start := coalesce(u.bytes_window_start, now());
        u.bytes_used := u.bytes_used + v_bytes;
    end if;
    if v_seconds > 0 then
        u.session_window_start := coalesce(u.session_window_start, now());
        u.session_seconds_used := u.session_seconds_used + v_seconds;
    end if;

    if p_close then
        v_returned := v_held;
        u.day_leased := u.day_leased - v_held;
        u.month_leased := u.month_leased - v_held;
        v_held := 0;
    else
        v_day_left := a.day_limit - u.day_used - u.day_leased;
        v_month_left := a.month_limit - u.month_used - u.month_leased;
        if p.bytes_per_7d > 0 and u.bytes_used >= p.bytes_per_7d then
            v_scope := 'bytes';
        elsif p.session_seconds_per_24h > 0 and u.session_seconds_used >= p.session_seconds_per_24h then
            v_scope := 'sessionSeconds';
        else
            v_granted := greatest(0, least(coalesce(p_want, a.lease_chunk), a.lease_chunk, v_day_left, v_month_left));
            if v_granted = 0 and least(v_day_left, v_month_left) <= 0 then
                v_scope := case when v_day_left <= v_month_left then 'day' else 'month' end;
            end if;
        end if;
        if v_scope is not null then
            v_outcome := 'quota';
            v_granted := 0;
        end if;
        u.day_leased := u.day_leased + v_granted;
        u.month_leased := u.month_leased + v_granted;
        v_held := v_held + v_granted;
    end if;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
    if p_close then
        perform enqueue_event(p_account, 'tunnel.closed', jsonb_build_object('tunnelId', p_tunnel,
            'subdomain', t.subdomain, 'reason', 'closed'));
    end if;

    update tunnel x set
        held = v_held,
        consumed = x.consumed + p_consumed,
        bytes_in = x.bytes_in + p_bytes_in,
        bytes_out = x.bytes_out + p_bytes_out,
        session_seconds = x.session_seconds + v_seconds,
        last_seen_at = now(),
        last_activity_at = case when p_consumed > 0 or v_bytes > 0 then now() else x.last_activity_at end,
        closed_at = case when p_close then now() end,
        close_reason = case when p_close then 'closed' end
     where x.account_id = p_account and x.tunnel_id = p_tunnel;

    return query select v_outcome, v_granted, v_held, v_returned, case when p_close then 'closed' end, v_scope,
        u.level, v_previous, u.day_used, u.day_leased, a.day_limit, u.month_used, u.month_leased, a.month_limit,
        a.plan, window_reset(u, v_scope);
end $$;

-- Closes open tunnels of one account, all of them or those listed (p_tunnels), optionally only those
-- registered with one token (p_token) and, for the reapers, only those still idle, under the same
-- account_usage row lock as leases; so a tunnel registered while a suspension waits for the lock is closed too. Their held credits go back to the pool, or are charged as used when
-- p_charge_held (a stale relay may have spent them: fail closed). Returns the tunnels it closed.
create function close_tunnels(p_account bigint, p_tunnels uuid[], p_token uuid, p_reason text,
                              p_charge_held boolean, p_idle_before timestamptz)
returns table (tunnel_id uuid, subdomain text, held bigint)
language plpgsql as $$
#variable_conflict use_column
declare
    u account_usage;
    a record;
    r record;
    v_held bigint := 0;
    v_previous text;
begin
    u := lock_usage(p_account);
    if u is null then
        return;
    end if;
    for r in
        with old as (
            select x.tunnel_id, x.held from tunnel x
             where x.account_id = p_account and x.closed_at is null
               and (p_tunnels is null or x.tunnel_id = any (p_tunnels))
               and (p_token is null or x.token_id = p_token)
               and (p_idle_before is null
                    or (p_reason = 'stale' and x.last_seen_at < p_idle_before)
                    or (p_reason = 'inactive' and x.last_activity_at < p_idle_before))
        )
        update tunnel x set closed_at = now(), close_reason = p_reason, held = 0
          from old
         where x.account_id = p_account and x.tunnel_id = old.tunnel_id
        returning x.tunnel_id as closed_id, x.subdomain as closed_subdomain, old.held as was_held
    loop
        v_held := v_held + r.was_held;
        perform enqueue_event(p_account, 'tunnel.closed', jsonb_build_object('tunnelId', r.closed_id,
            'subdomain', r.closed_subdomain, 'reason', p_reason));
        tunnel_id := r.closed_id;
        subdomain := r.closed_subdomain;
        held := r.was_held;
        return next;
    end loop;
    u.day_leased := u.day_leased - v_held;
    u.month_leased := u.month_leased - v_held;
    if p_charge_held then
        u.day_used := u.day_used + v_held;
        u.month_used := u.month_used + v_held;
    end if;
    select x.day_limit, x.month_limit into a from account x where x.account_id = p_account;
    v_previous := u.level;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
end $$;

-- Several settlements of one account in one statement and one transaction: the application coalesces the
-- leases that arrive for an account while a previous batch is in flight, so a hot account pays for one lock
-- hand-off and one commit per batch rather than per lease. Rows come back with their position in the arrays.
create function settle_tunnels(p_account bigint, p_tunnels uuid[], p_tokens uuid[], p_consumed bigint[],
                               p_want bigint[], p_bytes_in bigint[], p_bytes_out bigint[], p_close boolean[])
returns table (ordinal integer, outcome text, granted bigint, held bigint, returned bigint, close_reason text,
               scope text, level text, previous_level text, day_used bigint, day_leased bigint, day_limit bigint,
               month_used bigint, month_leased bigint, month_limit bigint, plan text, resets_at timestamptz)
language plpgsql as $$
begin
    for i in 1 .. coalesce(array_length(p_tunnels, 1), 0) loop
        return query select i, s.* from settle_tunnel(p_account, p_tunnels[i], p_tokens[i], p_consumed[i],
            p_want[i], p_bytes_in[i], p_bytes_out[i], p_close[i]) s;
    end loop;
end $$;
