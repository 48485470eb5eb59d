-- Sluice schema, version 14: the roll-over rule (V5's rolled_usage) as one SQL SELECT PostgreSQL inlines into the
-- statement that calls it. The rule is unchanged. Measured (docs/decisions): GET /v1/usage reads every
-- account's view through it, and as a PL/pgSQL function it was called, and its expressions set up, once per read
-- (each read is its own transaction): the view's statement took 81-94 µs a call from one session, 67-76 µs now.

-- The windows of a usage row as of now: a closed UTC day or month starts at zero, an ended byte (7-day) or session
-- (24-hour) window is empty until its next use; outstanding leases carry over. Still the one statement of the
-- roll-over rule: lock_usage applies it under the credit lock, and the usage views read through it without
-- writing. A set-returning SQL function of one SELECT without FROM, so the planner replaces the call by its
-- expressions (it reads no table, so Citus plans it too).
drop function rolled_usage(account_usage);
create function rolled_usage(u account_usage) returns setof account_usage
language sql stable as $$
    select u.account_id,
           greatest(u.day_start, (now() at time zone 'utc')::date),
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_used end,
           u.day_leased,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_ops end,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_bytes_in end,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_bytes_out end,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_session_seconds end,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_tunnels end,
           greatest(u.month_start, date_trunc('month', now() at time zone 'utc')::date),
           case when u.month_start < date_trunc('month', now() at time zone 'utc')::date then 0 else u.month_used end,
           u.month_leased,
           u.overshoot,
           case when u.bytes_window_start + interval '7 days' <= now() then null else u.bytes_window_start end,
           case when u.bytes_window_start + interval '7 days' <= now() then 0 else u.bytes_used end,
           case when u.session_window_start + interval '24 hours' <= now() then null
                else u.session_window_start end,
           case when u.session_window_start + interval '24 hours' <= now() then 0 else u.session_seconds_used end,
           u.level
$$;

-- lock_usage (V5) applies the rule above as a query instead of as a scalar call. Patched in place, like V10's
-- patches, so V5 stays the one place that explains it; a patch whose text is not found stops the migration.
do $$
declare
    definition text := pg_get_functiondef('lock_usage(bigint)'::regprocedure);
    scalar_call text := 'return rolled_usage(u);';
begin
    if position(scalar_call in definition) = 0 then
        raise exception 'lock_usage does not contain: %', scalar_call;
    end if;
    execute replace(definition, scalar_call, E'select r.* into u from rolled_usage(u) r;\n    return u;');
end $$;

select sluice_distribute();
