-- Sluice schema, version 5: late reports are charged, retries are idempotent, running totals saturate, and every
-- time a reaper compares comes from the database's clock.

-- Adds without overflowing: a running total stops at 2^63 - 1 instead of failing every later statement.
create function sat_add(a bigint, b bigint) returns bigint
language sql immutable as $$
    select least(a::numeric + b, 9223372036854775807)::bigint
$$;

-- What a closed tunnel held when it closed, and what its late reports claimed and were billed, so late reports
-- are charged (never free) yet bounded: at most held_at_close plus one lease chunk in all.
alter table tunnel
    add column held_at_close   bigint not null default 0,
    add column late_consumed   bigint not null default 0,
    add column late_billed     bigint not null default 0,
    add column last_report_key text;

-- Idempotency-Key records: registrations per account for 24 h, leases and closes for the tunnel's latest report.
-- Written in the same transaction, under the account's credit lock, as the charge they answer for, so a retry
-- can never be charged twice and a crash can never leave a key without its answer.
create table idempotency_key (
    account_id   bigint      not null references account (account_id) on delete cascade,
    idem_key     text        not null,
    kind         text        not null check (kind in ('register', 'lease', 'close')),
    tunnel_id    uuid,
    fingerprint  text        not null,
    result       jsonb       not null,
    created_at   timestamptz not null default now(),
    primary key (account_id, idem_key)
);
create index idempotency_key_created on idempotency_key (created_at);

-- The windows of a usage row as of now: a closed UTC day or month starts at zero, an ended byte (7-day) or session
-- (24-hour) window is empty until its next use; outstanding leases carry over. The one statement of the roll-over
-- rule: lock_usage applies it under the credit lock, and the usage views read through it without writing.
create function rolled_usage(u account_usage) returns account_usage
language plpgsql stable as $$
begin
    if u.day_start < (now() at time zone 'utc')::date then
        u.day_start := (now() at time zone 'utc')::date;
        u.day_used := 0;
        u.day_ops := 0;
        u.day_bytes_in := 0;
        u.day_bytes_out := 0;
        u.day_session_seconds := 0;
        u.day_tunnels := 0;
    end if;
    if u.month_start < date_trunc('month', now() at time zone 'utc')::date then
        u.month_start := date_trunc('month', now() at time zone 'utc')::date;
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

-- Locks the account's usage row (the credit lock) and rolls its windows: a closed UTC day is archived to
-- usage_daily first, so the series keeps it.
create or replace function lock_usage(p_account bigint) returns account_usage
language plpgsql as $$
declare
    u account_usage;
begin
    select * into u from account_usage where account_id = p_account for update;
    if not found then
        return null;
    end if;
    if u.day_start < (now() at time zone 'utc')::date then
        insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel)
        values (p_account, u.day_start, u.day_used, u.day_ops, u.day_bytes_in, u.day_bytes_out,
                u.day_session_seconds, u.day_tunnels)
        on conflict (account_id, day) do nothing;
    end if;
    return rolled_usage(u);
end $$;

-- Whether an api token is neither revoked nor expired, by the database's clock: the re-check that registration and
-- every settlement make in their own statement, whatever a replica's authentication cache still holds.
create function token_is_live(p_account bigint, p_token uuid) returns boolean
language sql stable as $$
    select k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
      from api_token k where k.account_id = p_account and k.token_id = p_token
$$;

-- One settlement's answer; stored whole with an Idempotency-Key so a replay renders the same bytes.
create type settlement as (
    outcome        text,
    granted        bigint,
    held           bigint,
    returned       bigint,
    close_reason   text,
    scope          text,
    level          text,
    previous_level text,
    day_used       bigint,
    day_leased     bigint,
    day_limit      bigint,
    month_used     bigint,
    month_leased   bigint,
    month_limit    bigint,
    plan           text,
    resets_at      timestamptz,
    decided_at     timestamptz,
    request_id     text,
    replayed       boolean,
    late_refused   boolean
);

drop function settle_tunnels(bigint, uuid[], uuid[], bigint[], bigint[], bigint[], bigint[], boolean[]);
drop function settle_tunnel(bigint, uuid, uuid, bigint, bigint, bigint, bigint, boolean);
drop function close_tunnels(bigint, uuid[], uuid, text, boolean, timestamptz);
drop function charge_registration(bigint);

-- Registration's credit (unchanged but for decided_at, the database's time, which the tunnel's timestamps use).
create function charge_registration(p_account bigint)
returns table (outcome text, scope text, level text, previous_level text, day_used bigint, day_leased bigint,
               day_limit bigint, month_used bigint, month_leased bigint, month_limit bigint, resets_at timestamptz,
               decided_at timestamptz)
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
    if least(a.day_limit::numeric - u.day_used - u.day_leased, a.month_limit::numeric - u.month_used - u.month_leased) <= 0 then
        v_scope := case when a.day_limit::numeric - u.day_used - u.day_leased
                             <= a.month_limit::numeric - u.month_used - u.month_leased then 'day' else 'month' end;
    else
        u.day_used := sat_add(u.day_used, 1);
        u.month_used := sat_add(u.month_used, 1);
        u.day_tunnels := sat_add(u.day_tunnels, 1);
    end if;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
    return query select case when v_scope is null then 'ok' else 'quota' end, v_scope, u.level, v_previous,
        u.day_used, u.day_leased, a.day_limit, u.month_used, u.month_leased, a.month_limit,
        window_reset(u, v_scope), now();
end $$;

-- The lease, close or late report of one tunnel. Safe with any number of replicas because lock_usage takes the
-- account's account_usage row lock (FOR UPDATE) first: every credit movement of the account, and every
-- Idempotency-Key lookup and insert of its leases, is serialised on it, so grants are decided on committed numbers
-- and one key is charged once.
--
-- Open tunnel: min(consumed, held) moves from leased to used; consumed beyond held is charged too and counted as
-- overshoot. A lease then grants min(want ?? leaseChunk, leaseChunk, dayRemaining, monthRemaining) on top of what
-- the tunnel still holds; a close returns what is still held. A report made with a revoked or expired token
-- (p_token is re-checked here, whatever the authentication cache says) may only report on a tunnel that token
-- registered: it is charged and the tunnel closes as 'revoked'.
--
-- Closed tunnel (a late report): charged for p_late_seconds after the close, up to what the tunnel held at close
-- plus one lease chunk in all (for a stale tunnel, whose held lease was charged when it was reaped, only
-- consumption beyond that lease, up to one chunk); then the outcome is 'closed'. late_refused says a report was
-- not charged in full, for the audit log.
--
-- Outcomes: ok, quota, closed, not_found, unauthorized, idempotency_conflict.
create function settle_tunnel(p_account bigint, p_tunnel uuid, p_token uuid, p_consumed bigint, p_want bigint,
                              p_bytes_in bigint, p_bytes_out bigint, p_close boolean, p_key text,
                              p_request_id text, p_late_seconds bigint)
returns settlement
language plpgsql as $$
declare
    r settlement;
    u account_usage;
    a record;
    t tunnel;
    p plan;
    k idempotency_key;
    v_token_live boolean := true;
    v_kind text := case when p_close then 'close' else 'lease' end;
    v_fingerprint text;
    v_commit bigint;
    v_held bigint;
    v_granted bigint := 0;
    v_returned bigint := 0;
    v_seconds bigint := 0;
    v_bytes bigint := p_bytes_in + p_bytes_out;
    v_day_left numeric;
    v_month_left numeric;
    v_reason text;
    v_total bigint;
    v_free bigint;
    v_cap bigint;
    v_billable bigint;
    v_charge bigint := 0;
    v_counted boolean := true;
begin
    r.outcome := 'ok';
    r.granted := 0;
    r.held := 0;
    r.returned := 0;
    r.decided_at := now();
    r.replayed := false;
    r.late_refused := false;
    if p_token is not null then
        v_token_live := token_is_live(p_account, p_token);
        if v_token_live is null then
            r.outcome := 'unauthorized';
            return r;
        end if;
    end if;
    u := lock_usage(p_account);
    if u.account_id is null then
        r.outcome := 'not_found';
        return r;
    end if;
    select * into t from tunnel x where x.account_id = p_account and x.tunnel_id = p_tunnel;
    if not found or (not v_token_live and t.token_id is distinct from p_token) then
        -- A dead token authenticates the reports of its own tunnels and nothing else.
        r.outcome := case when v_token_live then 'not_found' else 'unauthorized' end;
        return r;
    end if;
    select x.day_limit, x.month_limit, x.lease_chunk, x.plan into a from account x where x.account_id = p_account;
    select * into p from plan where plan_id = a.plan;

    if p_key is not null then
        v_fingerprint := concat_ws('|', v_kind, p_consumed, case when p_close then '-' else coalesce(p_want, a.lease_chunk)::text end,
                                   p_bytes_in, p_bytes_out);
        select * into k from idempotency_key x where x.account_id = p_account and x.idem_key = p_key;
        if found then
            if k.tunnel_id is distinct from p_tunnel or k.kind <> v_kind or k.fingerprint <> v_fingerprint
               or t.last_report_key is distinct from p_key then
                r.outcome := 'idempotency_conflict';
                return r;
            end if;
            if k.kind = 'lease' and t.closed_at is not null and k.result ->> 'outcome' <> 'closed' then
                -- The tunnel closed since the first answer: its grant is gone, so say so and charge nothing more.
                r.outcome := 'closed';
                r.close_reason := t.close_reason;
                return r;
            end if;
            r := jsonb_populate_record(null::settlement, k.result);
            r.replayed := true;
            return r;
        end if;
    end if;

    r.previous_level := u.level;
    if t.closed_at is null then
        v_seconds := greatest(0, floor(extract(epoch from now() - t.last_seen_at)))::bigint;
    elsif now() > t.closed_at + make_interval(secs => p_late_seconds) then
        v_counted := false;
        r.late_refused := true;
    else
        -- Session time stops at closedAt.
        v_seconds := greatest(0, floor(extract(epoch from t.closed_at - t.last_seen_at)))::bigint;
    end if;
    -- The meters count first, so the report that crosses an allowance is the one that gets the 429.
    if v_counted then
        u.day_bytes_in := sat_add(u.day_bytes_in, p_bytes_in);
        u.day_bytes_out := sat_add(u.day_bytes_out, p_bytes_out);
        u.day_session_seconds := sat_add(u.day_session_seconds, v_seconds);
        if v_bytes > 0 then
            u.bytes_window_start := coalesce(u.bytes_window_start, now());
            u.bytes_used := sat_add(u.bytes_used, v_bytes);
        end if;
        if v_seconds > 0 then
            u.session_window_start := coalesce(u.session_window_start, now());
            u.session_seconds_used := sat_add(u.session_seconds_used, v_seconds);
        end if;
    end if;

    if t.closed_at is not null then
        if v_counted then
            v_total := sat_add(t.late_consumed, p_consumed);
            v_free := case when t.close_reason = 'stale' then 0 else t.held_at_close end;
            v_cap := case when t.close_reason = 'stale' then a.lease_chunk else sat_add(t.held_at_close, a.lease_chunk) end;
            -- What this tunnel's late reports may bill in all; a stale tunnel's held lease was billed when reaped.
            v_billable := least(greatest(v_total - case when t.close_reason = 'stale' then t.held_at_close else 0 end, 0), v_cap);
            v_charge := greatest(v_billable - t.late_billed, 0);
            r.late_refused := v_billable < greatest(v_total - case when t.close_reason = 'stale' then t.held_at_close else 0 end, 0);
            u.day_used := sat_add(u.day_used, v_charge);
            u.month_used := sat_add(u.month_used, v_charge);
            u.overshoot := sat_add(u.overshoot,
                greatest(greatest(v_billable - v_free, 0) - greatest(t.late_billed - v_free, 0), 0));
            u.day_ops := sat_add(u.day_ops, v_charge);
        end if;
        r.outcome := 'closed';
        r.close_reason := t.close_reason;
    else
        v_commit := least(p_consumed, t.held);
        v_held := t.held - v_commit;
        u.day_used := sat_add(u.day_used, p_consumed);
        u.month_used := sat_add(u.month_used, p_consumed);
        u.day_leased := u.day_leased - v_commit;
        u.month_leased := u.month_leased - v_commit;
        u.overshoot := sat_add(u.overshoot, greatest(p_consumed - t.held, 0));
        u.day_ops := sat_add(u.day_ops, p_consumed);
        v_reason := case when not v_token_live then 'revoked' when p_close then 'closed' end;
        if v_reason is not null then
            v_returned := v_held;
            u.day_leased := u.day_leased - v_held;
            u.month_leased := u.month_leased - v_held;
        else
            v_day_left := a.day_limit::numeric - u.day_used - u.day_leased;
            v_month_left := a.month_limit::numeric - u.month_used - u.month_leased;
            if p.bytes_per_7d > 0 and u.bytes_used >= p.bytes_per_7d then
                r.scope := 'bytes';
            elsif p.session_seconds_per_24h > 0 and u.session_seconds_used >= p.session_seconds_per_24h then
                r.scope := 'sessionSeconds';
            else
                v_granted := greatest(0, least(coalesce(p_want, a.lease_chunk), a.lease_chunk, v_day_left, v_month_left));
                if v_granted = 0 and least(v_day_left, v_month_left) <= 0 then
                    r.scope := case when v_day_left <= v_month_left then 'day' else 'month' end;
                end if;
            end if;
            if r.scope is not null then
                r.outcome := 'quota';
                v_granted := 0;
            end if;
            u.day_leased := u.day_leased + v_granted;
            u.month_leased := u.month_leased + v_granted;
            v_held := v_held + v_granted;
        end if;
        if v_reason = 'revoked' then
            r.outcome := 'closed';
        end if;
        r.close_reason := v_reason;
    end if;

    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, r.previous_level, u, a.day_limit, a.month_limit);
    if v_reason is not null then
        perform enqueue_event(p_account, 'tunnel.closed', jsonb_build_object('tunnelId', p_tunnel,
            'subdomain', t.subdomain, 'reason', v_reason));
    end if;

    update tunnel x set
        held = case when t.closed_at is null and v_reason is null then v_held else 0 end,
        held_at_close = case when v_reason is not null then v_returned else x.held_at_close end,
        consumed = case when v_counted then sat_add(x.consumed, p_consumed) else x.consumed end,
        bytes_in = case when v_counted then sat_add(x.bytes_in, p_bytes_in) else x.bytes_in end,
        bytes_out = case when v_counted then sat_add(x.bytes_out, p_bytes_out) else x.bytes_out end,
        session_seconds = sat_add(x.session_seconds, v_seconds),
        late_consumed = coalesce(v_total, x.late_consumed),
        late_billed = sat_add(x.late_billed, v_charge),
        last_seen_at = case when t.closed_at is null then r.decided_at else greatest(x.last_seen_at, x.closed_at) end,
        last_activity_at = case when t.closed_at is null and (p_consumed > 0 or v_bytes > 0) then r.decided_at
                                else x.last_activity_at end,
        closed_at = case when v_reason is not null then r.decided_at else x.closed_at end,
        close_reason = coalesce(v_reason, x.close_reason),
        last_report_key = p_key
     where x.account_id = p_account and x.tunnel_id = p_tunnel;

    r.granted := v_granted;
    r.held := case when t.closed_at is null and v_reason is null then v_held else 0 end;
    r.returned := v_returned;
    r.level := u.level;
    r.day_used := u.day_used;
    r.day_leased := u.day_leased;
    r.day_limit := a.day_limit;
    r.month_used := u.month_used;
    r.month_leased := u.month_leased;
    r.month_limit := a.month_limit;
    r.plan := a.plan;
    r.resets_at := window_reset(u, r.scope);
    if p_key is not null then
        r.request_id := p_request_id;
        insert into idempotency_key (account_id, idem_key, kind, tunnel_id, fingerprint, result)
        values (p_account, p_key, v_kind, p_tunnel, v_fingerprint, to_jsonb(r));
    end if;
    return r;
end $$;

-- Several settlements of one account in one statement and one transaction (the application coalesces one
-- account's concurrent leases; never several accounts, so each statement stays on one account). Rows come back
-- with their position in the arrays.
create function settle_tunnels(p_account bigint, p_tunnels uuid[], p_tokens uuid[], p_consumed bigint[],
                               p_want bigint[], p_bytes_in bigint[], p_bytes_out bigint[], p_close boolean[],
                               p_keys text[], p_request_ids text[], p_late_seconds bigint)
returns table (ordinal integer, result settlement)
language plpgsql as $$
begin
    for i in 1 .. coalesce(array_length(p_tunnels, 1), 0) loop
        ordinal := i;
        result := settle_tunnel(p_account, p_tunnels[i], p_tokens[i], p_consumed[i], p_want[i], p_bytes_in[i],
            p_bytes_out[i], p_close[i], p_keys[i], p_request_ids[i], p_late_seconds);
        return next;
    end loop;
end $$;

-- Closes open tunnels of one account, all of them or those listed (p_tunnels), optionally only those
-- registered with one token (p_token) and, for the reapers, only those idle for p_idle_seconds by the database's
-- clock, under the same account_usage row lock as leases; so a tunnel registered while a suspension waits for the
-- lock is closed too. Their held credits go back to the pool, or are charged as used when p_charge_held (a stale
-- relay may have spent them: fail closed); each remembers what it held, for its late reports. Returns the tunnels
-- it closed.
create function close_tunnels(p_account bigint, p_tunnels uuid[], p_token uuid, p_reason text,
                              p_charge_held boolean, p_idle_seconds bigint)
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
    if u.account_id is null then
        return;
    end if;
    for r in
        with old as (
            select x.tunnel_id, x.held from tunnel x
             where x.account_id = p_account and x.closed_at is null
               and (p_tunnels is null or x.tunnel_id = any (p_tunnels))
               and (p_token is null or x.token_id = p_token)
               and (p_idle_seconds is null
                    or (p_reason = 'stale' and x.last_seen_at < now() - make_interval(secs => p_idle_seconds))
                    or (p_reason = 'inactive' and x.last_activity_at < now() - make_interval(secs => p_idle_seconds)))
        )
        update tunnel x set closed_at = now(), close_reason = p_reason, held = 0, held_at_close = old.held
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
        u.day_used := sat_add(u.day_used, v_held);
        u.month_used := sat_add(u.month_used, v_held);
    end if;
    select x.day_limit, x.month_limit into a from account x where x.account_id = p_account;
    v_previous := u.level;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
end $$;
