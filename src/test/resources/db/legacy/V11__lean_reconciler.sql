-- Sluice schema, version 11: the reconciler's per-account work in one statement, and closing tunnels set-based.
-- Measured (bench/README, "The reconciler at scale"): each account took about eight round trips (row lock, two
-- entity loads, set_config, reconcile_account, the audit's slug lookup, its insert, commit) and 1.0 ms inside
-- reconcile_account, of which close_tunnels took 0.8 ms: the credit lock taken twice, and one webhook-event
-- statement per closed tunnel in a row-by-row loop. The rules are unchanged; every statement touches one account.

-- Events of one type for one account, one per element of p_data, in one statement each for events and deliveries
-- (nothing is written when no endpoint of the account wants the type).
create function enqueue_events(p_account bigint, p_type text, p_data jsonb[]) returns void
language plpgsql as $$
begin
    with wanted as (
        select w.endpoint_id from webhook_endpoint w where w.account_id = p_account and p_type = any (w.events)
    ), event as (
        insert into webhook_event (account_id, event_id, type, data)
        select p_account, gen_random_uuid(), p_type, d.data from unnest(p_data) as d(data)
         where exists (select 1 from wanted)
        returning event_id
    )
    insert into webhook_delivery (account_id, endpoint_id, event_id)
    select p_account, wanted.endpoint_id, event.event_id from wanted, event;
end $$;

create or replace function enqueue_event(p_account bigint, p_type text, p_data jsonb) returns void
language plpgsql as $$
begin
    perform enqueue_events(p_account, p_type, array[p_data]);
end $$;

-- V5's close_tunnels for a caller that already holds the account's credit lock (u, from lock_usage in this
-- transaction; nothing is done when the account has no usage row): one UPDATE closes the tunnels (each remembering
-- what it held, for its late reports), and their tunnel.closed events are enqueued in one statement rather than one
-- per tunnel; the usage row is written once. What the tunnels held goes back to the pool, or is charged as used when
-- p_charge_held (a stale relay may have spent it: fail closed).
create function close_tunnels_locked(p_account bigint, u account_usage, p_tunnels uuid[], p_token uuid,
                                     p_reason text, p_charge_held boolean, p_idle_seconds bigint)
returns table (tunnel_id uuid, subdomain text, held bigint)
language plpgsql as $$
#variable_conflict use_column
declare
    a record;
    v_ids uuid[];
    v_subdomains text[];
    v_held bigint[];
    v_total bigint;
    v_previous text;
begin
    if u.account_id is null then -- (a row with some null columns is neither "is null" nor "is not null")
        return;
    end if;
    with old as (
        select x.tunnel_id, x.held from tunnel x
         where x.account_id = p_account and x.closed_at is null
           and (p_tunnels is null or x.tunnel_id = any (p_tunnels))
           and (p_token is null or x.token_id = p_token)
           and (p_idle_seconds is null
                or (p_reason = 'stale' and x.last_seen_at < now() - make_interval(secs => p_idle_seconds))
                or (p_reason = 'inactive' and x.last_activity_at < now() - make_interval(secs => p_idle_seconds)))
    ), closed as (
        update tunnel x set closed_at = now(), close_reason = p_reason, held = 0, held_at_close = old.held
          from old
         where x.account_id = p_account and x.tunnel_id = old.tunnel_id
        returning x.tunnel_id as closed_id, x.subdomain as closed_subdomain, old.held as was_held
    )
    select array_agg(c.closed_id), array_agg(c.closed_subdomain), array_agg(c.was_held), coalesce(sum(c.was_held), 0)
      into v_ids, v_subdomains, v_held, v_total
      from closed c;
    if v_ids is not null then
        perform enqueue_events(p_account, 'tunnel.closed',
            array(select jsonb_build_object('tunnelId', c.id, 'subdomain', c.subdomain, 'reason', p_reason)
                    from unnest(v_ids, v_subdomains) as c(id, subdomain)));
    end if;
    u.day_leased := u.day_leased - v_total;
    u.month_leased := u.month_leased - v_total;
    if p_charge_held then
        u.day_used := sat_add(u.day_used, v_total);
        u.month_used := sat_add(u.month_used, v_total);
    end if;
    select x.day_limit, x.month_limit into a from account x where x.account_id = p_account;
    v_previous := u.level;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
    return query select c.id, c.subdomain, c.held from unnest(v_ids, v_subdomains, v_held) as c(id, subdomain, held);
end $$;

-- V5's close_tunnels (same arguments and answers): takes the credit lock, then closes.
create or replace function close_tunnels(p_account bigint, p_tunnels uuid[], p_token uuid, p_reason text,
                                         p_charge_held boolean, p_idle_seconds bigint)
returns table (tunnel_id uuid, subdomain text, held bigint)
language plpgsql as $$
begin
    return query select * from close_tunnels_locked(p_account, lock_usage(p_account), p_tunnels, p_token, p_reason,
                                                    p_charge_held, p_idle_seconds);
end $$;

-- V9's reconcile_account (with V10's changes), taking the credit lock once: the excess tunnels are selected and
-- closed under it, and the subdomain and worker steps run under it.
create or replace function reconcile_account(p_account bigint, p_tunnel_cap integer, p_subdomain_cap integer,
                                             p_worker_cap integer)
returns table (closed integer, released text[], quarantined integer, restored integer, purged integer)
language plpgsql as $$
declare
    u account_usage;
    v_subdomains bigint;
    v_active bigint;
    v_quarantined bigint;
    v_excess_workers uuid[];
begin
    u := lock_usage(p_account);
    select count(*)::integer into closed
      from close_tunnels_locked(p_account, u, array(select e.tunnel_id from excess_tunnels(p_account, p_tunnel_cap) e),
                                null, 'plan_downgrade', false, null);
    -- The subdomain and worker steps run only when the account has anything they could act on.
    select count(*) filter (where x.kind = 'subdomain'), count(*) filter (where x.kind = 'active'),
           count(*) filter (where x.kind = 'quarantined')
      into v_subdomains, v_active, v_quarantined
      from (select 'subdomain' as kind from reserved_subdomain s where s.account_id = p_account
            union all
            select w.status from worker w where w.account_id = p_account) x;
    released := '{}';
    quarantined := 0;
    restored := 0;
    purged := 0;
    if v_subdomains > p_subdomain_cap then
        released := array(select e.name from excess_subdomains(p_account, p_subdomain_cap) e);
        delete from reserved_subdomain s where s.account_id = p_account and s.name = any (released);
    end if;
    if v_active > p_worker_cap then
        v_excess_workers := array(select e.worker_id from excess_workers(p_account, p_worker_cap) e);
        update worker w set status = 'quarantined', quarantined_at = now()
         where w.account_id = p_account
           and w.worker_id = any (v_excess_workers);
        get diagnostics quarantined = row_count;
    elsif v_quarantined > 0 then
        update worker w set status = 'active', quarantined_at = null
         where w.account_id = p_account and w.worker_id in (
             select q.worker_id from worker q where q.account_id = p_account and q.status = 'quarantined'
              order by q.created_at, q.worker_id limit greatest(0, p_worker_cap - v_active));
        get diagnostics restored = row_count;
    end if;
    if v_quarantined + quarantined > 0 then
        delete from worker w where w.account_id = p_account and w.status = 'quarantined'
           and w.quarantined_at < now() - interval '30 days';
        get diagnostics purged = row_count;
    end if;
    return next;
end $$;

-- reconcile_account, and when it changed anything, its audit entry (actor system/reconciler, action "reconcile"),
-- written in the same statement: the one place that entry is written, for the scheduled reconciler and for a plan
-- change alike.
create function reconcile_audited(p_account bigint, p_slug text, p_plan text, p_tunnel_cap integer,
                                  p_subdomain_cap integer, p_worker_cap integer, p_request_id text)
returns table (closed integer, released text[], quarantined integer, restored integer, purged integer)
language plpgsql as $$
declare
    r record;
begin
    select * into r from reconcile_account(p_account, p_tunnel_cap, p_subdomain_cap, p_worker_cap);
    if r.closed + cardinality(r.released) + r.quarantined + r.restored + r.purged > 0 then
        insert into audit_entry (account_id, at, actor_kind, actor_id, action, account_slug, target, outcome,
                                 request_id, detail)
        values (p_account, clock_timestamp(), 'system', 'reconciler', 'reconcile', p_slug, 'plan:' || p_plan, 'ok',
                p_request_id,
                format('closedTunnels=%s releasedSubdomains=[%s] quarantinedWorkers=%s restoredWorkers=%s '
                       'purgedWorkers=%s', r.closed, array_to_string(r.released, ', '), r.quarantined, r.restored,
                       r.purged));
    end if;
    return query select r.closed, r.released, r.quarantined, r.restored, r.purged;
end $$;

-- The scheduled reconciler's whole turn on one account, in one statement and one transaction: the account's row
-- lock (FOR NO KEY UPDATE, as every account writer takes it, SKIP LOCKED so replicas split the work and an account
-- someone else is changing waits for the next round), then reconcile_audited with the caps of the account's plan.
-- Answers 'busy' (locked elsewhere; nothing done), 'grace_expired' (the payment grace has run out by the
-- database's clock; nothing done: the caller moves the account to free through the plan-change path, in a
-- transaction of its own) or 'reconciled'. A reconciling transaction commits without waiting for the WAL flush:
-- the reconciler answers no one, and what a crash loses the next round finds out of line and does again.
create function reconcile_if_free(p_account bigint) returns text
language plpgsql as $$
declare
    a record;
begin
    select x.slug, x.plan, x.grace_until, least(p.tunnels, x.concurrent_max) as tunnel_cap,
           p.reserved_subdomains, p.workers
      into a
      from account x join plan p on p.plan_id = x.plan
     where x.account_id = p_account
       for no key update of x skip locked;
    if not found then
        return 'busy';
    end if;
    if a.grace_until is not null and a.grace_until < now() then
        return 'grace_expired';
    end if;
    perform set_config('synchronous_commit', 'off', true);
    perform reconcile_audited(p_account, a.slug, a.plan, a.tunnel_cap, a.reserved_subdomains, a.workers, null);
    return 'reconciled';
end $$;

select sluice_distribute();
