-- Sluice schema, version 9: the reconciler makes an account fit its plan in one call, and the selections it acts on
-- are defined once, here, for it and for the plan preview (which shows exactly what a change would do).

-- Open tunnels beyond the newest p_cap, oldest first: what a downgrade closes, in its order.
create function excess_tunnels(p_account bigint, p_cap integer) returns table (tunnel_id uuid)
language sql stable as $$
    select r.tunnel_id from (
        select x.tunnel_id, x.created_at,
               row_number() over (order by x.created_at desc, x.tunnel_id desc) as keep_rank
          from tunnel x where x.account_id = p_account and x.closed_at is null
    ) r where r.keep_rank > p_cap order by r.created_at, r.tunnel_id
$$;

-- Reserved subdomains beyond the oldest p_cap, newest first.
create function excess_subdomains(p_account bigint, p_cap integer) returns table (name text)
language sql stable as $$
    select r.name from (
        select s.name, s.reserved_at, row_number() over (order by s.reserved_at, s.name) as keep_rank
          from reserved_subdomain s where s.account_id = p_account
    ) r where r.keep_rank > p_cap order by r.reserved_at desc, r.name desc
$$;

-- Active workers beyond the newest p_cap, oldest first.
create function excess_workers(p_account bigint, p_cap integer) returns table (worker_id uuid)
language sql stable as $$
    select r.worker_id from (
        select w.worker_id, w.created_at, row_number() over (order by w.created_at desc, w.worker_id desc) as keep_rank
          from worker w where w.account_id = p_account and w.status = 'active'
    ) r where r.keep_rank > p_cap order by r.created_at, r.worker_id
$$;

-- Makes one account fit its caps: closes the oldest open tunnels beyond p_tunnel_cap (reason plan_downgrade; their
-- relays see 410 on their next lease), releases the newest reserved subdomains beyond p_subdomain_cap, quarantines
-- the oldest active workers beyond p_worker_cap, restores quarantined workers (oldest first) while there is room,
-- and purges workers quarantined for 30 days. The caller holds the account row; the credit lock (account_usage,
-- FOR UPDATE) is taken first, in the order every other writer takes them, so no registration, worker or
-- subdomain slips past a cap while this runs. Every statement touches this account only.
create function reconcile_account(p_account bigint, p_tunnel_cap integer, p_subdomain_cap integer,
                                  p_worker_cap integer)
returns table (closed integer, released text[], quarantined integer, restored integer, purged integer)
language plpgsql as $$
declare
    v_subdomains bigint;
    v_active bigint;
    v_quarantined bigint;
begin
    perform lock_usage(p_account);
    select count(*)::integer into closed
      from close_tunnels(p_account, array(select e.tunnel_id from excess_tunnels(p_account, p_tunnel_cap) e), null,
                         'plan_downgrade', false, null);
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
        update worker w set status = 'quarantined', quarantined_at = now()
         where w.account_id = p_account
           and w.worker_id in (select e.worker_id from excess_workers(p_account, p_worker_cap) e);
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
