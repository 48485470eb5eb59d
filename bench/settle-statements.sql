-- For bench/run.sh only, in its own database: the statements settle_tunnels makes for one lease on an open tunnel,
-- in the same order and by the same keys, without its rules, the day's roll-over or whole-row writes. pgbench
-- calling this beside settle_tunnels shows what the function's statements cost on their own; the rest of its time
-- is PL/pgSQL working out the rules. On Citus it runs on the worker holding the account, as settle_tunnels does.
create function bench_settle_statements(p_account bigint, p_tunnel uuid, p_token uuid, p_consumed bigint)
returns table (ordinal integer)
language plpgsql as $$
declare
    u account_usage;
    a record;
    t tunnel;
    live boolean;
begin
    select * into u from account_usage x where x.account_id = p_account for update;
    select x.day_limit, x.month_limit, x.lease_chunk, x.plan, p.bytes_per_7d, p.session_seconds_per_24h into a
      from account x join plan p on p.plan_id = x.plan where x.account_id = p_account;
    select * into t from tunnel x where x.account_id = p_account and x.tunnel_id = p_tunnel;
    live := (select k.revoked_at is null from api_token k where k.account_id = p_account and k.token_id = p_token);
    update account_usage x set day_used = u.day_used + p_consumed, month_used = u.month_used + p_consumed
     where x.account_id = p_account;
    update tunnel x set consumed = t.consumed + p_consumed, last_seen_at = now()
     where x.account_id = p_account and x.tunnel_id = p_tunnel;
    ordinal := 1;
    return next;
end $$;

select sluice_distribute();
