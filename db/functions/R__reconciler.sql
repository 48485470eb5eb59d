-- Making one account fit its plan: the reconciler's selections, its turn on one account, and the scheduled run over
-- many accounts. Each turn takes the account's row lock and then its credit lock (lock_usage), in that order, as
-- every account writer does.

-- The reconciler's selections: what exceeds a cap, oldest first (tunnels, reserved subdomains) or newest first
-- (workers: the oldest are kept). PL/pgSQL, not SQL: Citus cannot plan a parameterised SQL-language function over a
-- distributed table.
create or replace function excess_tunnels(p_account bigint, p_cap integer)
 RETURNS TABLE(tunnel_id uuid)
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return query
    select r.tunnel_id from (
        select x.tunnel_id, x.created_at,
               row_number() over (order by x.created_at desc, x.tunnel_id desc) as keep_rank
          from tunnel x where x.account_id = p_account and x.closed_at is null
    ) r where r.keep_rank > p_cap order by r.created_at, r.tunnel_id;
end;
$function$;

create or replace function excess_subdomains(p_account bigint, p_cap integer)
 RETURNS TABLE(name text)
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return query
    select r.name from (
        select s.name, s.reserved_at, row_number() over (order by s.reserved_at, s.name) as keep_rank
          from reserved_subdomain s where s.account_id = p_account
    ) r where r.keep_rank > p_cap order by r.reserved_at desc, r.name desc;
end;
$function$;

create or replace function excess_workers(p_account bigint, p_cap integer)
 RETURNS TABLE(worker_id uuid)
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return query
    select r.worker_id from (
        select w.worker_id, w.created_at, row_number() over (order by w.created_at desc, w.worker_id desc) as keep_rank
          from worker w where w.account_id = p_account and w.status = 'active'
    ) r where r.keep_rank > p_cap order by r.created_at, r.worker_id;
end;
$function$;

-- Making one account fit its caps, taking the credit lock once: the excess tunnels are selected and closed under it,
-- and the subdomain and worker steps run under it (quarantined workers come back when the plan allows them again,
-- and go after 30 days).
create or replace function reconcile_account(p_account bigint, p_tunnel_cap integer, p_subdomain_cap integer, p_worker_cap integer)
 RETURNS TABLE(closed integer, released text[], quarantined integer, restored integer, purged integer)
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
    v_subdomains bigint;
    v_active bigint;
    v_quarantined bigint;
    v_excess_workers uuid[];
    v_name text;
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
        -- Each released name starts its cool-off (one row each, by the account's key).
        foreach v_name in array released loop
            insert into subdomain_release (account_id, name, released_at) values (p_account, v_name, now())
            on conflict (account_id, name) do update set released_at = excluded.released_at;
        end loop;
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
end $function$;

-- reconcile_account, and when it changed anything, its audit entry (actor system/reconciler, action "reconcile"),
-- written in the same statement: the one place that entry is written, for the scheduled reconciler and for a plan
-- change alike.
create or replace function reconcile_audited(p_account bigint, p_slug text, p_plan text, p_tunnel_cap integer, p_subdomain_cap integer, p_worker_cap integer, p_request_id text)
 RETURNS TABLE(closed integer, released text[], quarantined integer, restored integer, purged integer)
 LANGUAGE plpgsql
AS $function$
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
end $function$;

-- The scheduled reconciler's whole turn on one account, in one statement and one transaction: the account's row
-- lock (FOR NO KEY UPDATE, as every account writer takes it, SKIP LOCKED so replicas split the work and an account
-- someone else is changing waits for the next round), then reconcile_audited with the caps of the account's plan.
-- Answers 'busy' (locked elsewhere; nothing done), 'grace_expired' (the payment grace has run out by the
-- database's clock; nothing done: the caller moves the account to free through the plan-change path, in a
-- transaction of its own) or 'reconciled'. A reconciling transaction commits without waiting for the WAL flush:
-- the reconciler answers no one, and what a crash loses the next round finds out of line and does again.
create or replace function reconcile_if_free(p_account bigint, OUT turn text, OUT closed integer,
    OUT released integer, OUT quarantined integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
    a record;
begin
    closed := 0;
    released := 0;
    quarantined := 0;
    select x.slug, x.plan, x.grace_until, least(p.tunnels, x.concurrent_max) as tunnel_cap,
           p.reserved_subdomains, p.workers
      into a
      from account x join plan p on p.plan_id = x.plan
     where x.account_id = p_account
       for no key update of x skip locked;
    if not found then
        turn := 'busy';
        return;
    end if;
    if a.grace_until is not null and a.grace_until < now() then
        turn := 'grace_expired';
        return;
    end if;
    perform set_config('synchronous_commit', 'off', true);
    select r.closed, coalesce(cardinality(r.released), 0), r.quarantined into closed, released, quarantined
      from reconcile_audited(p_account, a.slug, a.plan, a.tunnel_cap, a.reserved_subdomains, a.workers, null) r;
    turn := 'reconciled';
end $function$;

-- reconcile_if_free on each account in order, committing after each: one transaction per account, so a transaction
-- touches one account (on Citus the procedure runs on the coordinator and each account's statements go to the
-- worker that holds it). An account that fails is rolled back alone (the block's subtransaction) and the others go
-- on: its turn is 'failed' and its error message is in failures (null for every other turn). closed, released and
-- quarantined say what each account's turn did (the reconciler's action metrics). Called outside a transaction
-- block (JDBC autocommit), as COMMIT requires.
create or replace procedure reconcile_accounts(IN p_accounts bigint[], OUT turns text[], OUT failures text[],
    OUT closed integer[], OUT released integer[], OUT quarantined integer[])
 LANGUAGE plpgsql
AS $procedure$
declare
    v_account bigint;
    v_turn record;
begin
    turns := '{}';
    failures := '{}';
    closed := '{}';
    released := '{}';
    quarantined := '{}';
    foreach v_account in array p_accounts loop
        begin
            v_turn := reconcile_if_free(v_account);
            turns := turns || v_turn.turn;
            failures := failures || null::text;
            closed := closed || v_turn.closed;
            released := released || v_turn.released;
            quarantined := quarantined || v_turn.quarantined;
        exception when others then
            turns := turns || 'failed'::text;
            failures := failures || sqlerrm;
            closed := closed || 0;
            released := released || 0;
            quarantined := quarantined || 0;
        end;
        commit;
    end loop;
end $procedure$;
