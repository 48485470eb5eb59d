-- Sluice schema, version 12: the level rule and the reset times in PL/pgSQL, with V2's rules unchanged.
-- Measured (docs/decisions): PostgreSQL cannot inline either function into its callers (usage_level reads
-- FROM a subquery; window_reset adds intervals to a timestamptz, which is stable, not the immutable V2 declared), so
-- as SQL functions each was parsed, analysed and planned again in every transaction that called it. On one lease per
-- transaction, the most common case across many accounts, that was about 0.3 ms of PostgreSQL's CPU per
-- settle_tunnels call, a third of it. PL/pgSQL keeps its compiled body and plans for the session. Their callers
-- are unchanged (settle_tunnels, charge_registration and close_tunnels_locked, which the reconciler uses, among them).

-- exceeded when any window has nothing left; otherwise warn from 80 % of the binding window (the one with less
-- remaining), else ok. In numeric, so no counter can overflow the arithmetic.
create or replace function usage_level(u account_usage, day_limit bigint, month_limit bigint) returns text
language plpgsql immutable as $$
declare
    day_left numeric := day_limit::numeric - u.day_used - u.day_leased;
    month_left numeric := month_limit::numeric - u.month_used - u.month_leased;
begin
    if day_left <= 0 or month_left <= 0 then
        return 'exceeded';
    elsif (case when day_left <= month_left then (u.day_used + u.day_leased::numeric) * 10 - day_limit::numeric * 8
                else (u.month_used + u.month_leased::numeric) * 10 - month_limit::numeric * 8 end) >= 0 then
        return 'warn';
    end if;
    return 'ok';
end $$;

-- When the window named by a 429's scope opens again (null for no scope).
create or replace function window_reset(u account_usage, p_scope text) returns timestamptz
language plpgsql stable as $$
begin
    return case p_scope
        when 'day' then ((u.day_start + 1)::timestamp at time zone 'utc')
        when 'month' then ((u.month_start + interval '1 month') at time zone 'utc')
        when 'bytes' then u.bytes_window_start + interval '7 days'
        when 'sessionSeconds' then u.session_window_start + interval '24 hours'
    end;
end $$;

select sluice_distribute();
