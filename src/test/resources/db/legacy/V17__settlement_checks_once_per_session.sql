-- Sluice schema, version 17: two costs every settlement paid for nothing; the rules and the rows they refuse are
-- unchanged. Measured (docs/decisions) in instructions (valgrind), one one-lease settle_tunnels call per
-- transaction as the service sends it: 1.80 M before, 1.62 M after.
--
-- The single-column CHECKs of the two rows every settlement writes become domains. PostgreSQL rebuilds a table's
-- CHECK constraints from their stored text in every statement that writes the table (parsed, planned and compiled:
-- 8 % of a one-lease call for the six of tunnel and account_usage), while a domain's check is compiled once per
-- session. A value out of range still fails its statement; in PL/pgSQL it now fails where it is assigned to a
-- variable of the row type, before the write. tunnel's check that closed_at and close_reason are set together spans
-- two columns and stays on the table.
create domain leased_credits as bigint check (value >= 0);
create domain tunnel_close_reason as text
    check (value in ('closed', 'suspended', 'plan_downgrade', 'inactive', 'stale', 'revoked'));
create domain usage_level_name as text check (value in ('ok', 'warn', 'exceeded'));

alter table account_usage
    drop constraint account_usage_day_leased_check,
    drop constraint account_usage_month_leased_check,
    drop constraint account_usage_level_check,
    alter column day_leased type leased_credits,
    alter column month_leased type leased_credits,
    alter column level type usage_level_name;
alter table tunnel
    drop constraint tunnel_held_check,
    drop constraint tunnel_close_reason_check,
    alter column held type leased_credits,
    alter column close_reason type tunnel_close_reason;

-- RETURN QUERY takes no domain where its function returns the base type: charge_registration's answer names them.
-- Patched in place, like V16's patches; a patch whose text is not found stops the migration.
do $$
declare
    definition text := pg_get_functiondef('charge_registration(bigint)'::regprocedure);
    answered text := $p$u.level, v_previous,
        u.day_used, u.day_leased, a.day_limit, u.month_used, u.month_leased, a.month_limit,$p$;
begin
    if position(answered in definition) = 0 then
        raise exception 'charge_registration does not contain: %', answered;
    end if;
    execute replace(definition, answered, $p$u.level::text, v_previous,
        u.day_used, u.day_leased::bigint, a.day_limit, u.month_used, u.month_leased::bigint, a.month_limit,$p$);
end $$;

-- lock_usage (V5, V14) locks and rolls the usage row in one statement instead of two: rolled_usage is inlined into
-- the locking SELECT. The closed day's counters, which usage_daily keeps, are read again (under the lock just taken)
-- only on an account's first call of a day.
create or replace function lock_usage(p_account bigint) returns account_usage
language plpgsql as $$
declare
    locked record;
    closed_day account_usage;
begin
    select x.day_start < (now() at time zone 'utc')::date as day_closed, r as usage into locked
      from account_usage x, rolled_usage(row(x.*)::account_usage) r
     where x.account_id = p_account
       for update of x;
    if not found then
        return null;
    end if;
    if locked.day_closed then
        select * into closed_day from account_usage where account_id = p_account;
        insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel)
        values (p_account, closed_day.day_start, closed_day.day_used, closed_day.day_ops, closed_day.day_bytes_in,
                closed_day.day_bytes_out, closed_day.day_session_seconds, closed_day.day_tunnels)
        on conflict (account_id, day) do nothing;
    end if;
    return locked.usage;
end $$;

select sluice_distribute();
