-- The account's usage row and its windows: the credit lock, the roll of the day, month, 7-day byte and 24-hour
-- session windows, the level rule, and the write-back. Every function here that reads a table is PL/pgSQL: Citus
-- cannot plan a SQL-language function that reads a distributed table (and SchemaLayoutTest keeps it so).

-- Adds without overflowing: a running total stops at 2^63 - 1 instead of failing every later statement. A SQL
-- function of one expression, which PostgreSQL inlines wherever it is called.
create or replace function sat_add(a bigint, b bigint)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE
AS $function$
    select least(a::numeric + b, 9223372036854775807)::bigint
$function$;

-- The row as it reads now: a window that has passed starts again at zero. One expression without FROM, so
-- PostgreSQL inlines it where it is called: into lock_usage's locking SELECT and into the usage views. The counters
-- a closed day held are kept in usage_daily by lock_usage.
create or replace function rolled_usage(u account_usage) returns account_usage
language sql stable as $function$
    select row(u.account_id,
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
           case when u.month_start < date_trunc('month', now() at time zone 'utc')::date then 0
                else u.month_overshoot end,
           case when u.bytes_window_start + interval '7 days' <= now() then null else u.bytes_window_start end,
           case when u.bytes_window_start + interval '7 days' <= now() then 0 else u.bytes_used end,
           case when u.session_window_start + interval '24 hours' <= now() then null
                else u.session_window_start end,
           case when u.session_window_start + interval '24 hours' <= now() then 0 else u.session_seconds_used end,
           u.level,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_overshoot end,
           case when u.day_start < (now() at time zone 'utc')::date then 0 else u.day_unbilled end,
           case when u.month_start < date_trunc('month', now() at time zone 'utc')::date then 0
                else u.month_unbilled end,
           u.balance, u.ledger_seq, u.grants_due_at, u.balance_alert_below, u.balance_low_sent,
           u.balance_depleted_sent, u.budget_count)::account_usage
$function$;

-- The account's credit lock: its account_usage row, FOR UPDATE. Every credit movement (registration, lease, close,
-- late report, reaper, reconciler) takes it first, so each decides on committed numbers whatever the number of
-- replicas. Answers the row rolled to now (null when the account has none), locked and rolled in one statement that
-- reads one table by its distribution key (rolled_usage is inlined into its target list), which Citus routes to one
-- shard in any plan. The closed day's counters, which usage_daily keeps, are read again (under the lock just taken)
-- only on an account's first call of a UTC day.
create or replace function lock_usage(p_account bigint) returns account_usage
language plpgsql as $function$
declare
    locked record;
    closed_day account_usage;
begin
    select x.day_start < (now() at time zone 'utc')::date as day_closed,
           rolled_usage(row(x.*)::account_usage) as usage
      into locked
      from account_usage x
     where x.account_id = p_account
       for update;
    if not found then
        return null;
    end if;
    if locked.day_closed then
        select * into closed_day from account_usage where account_id = p_account;
        -- A day the account did nothing in keeps no row (the usage export has no line for it).
        if closed_day.day_used <> 0 or closed_day.day_ops <> 0 or closed_day.day_bytes_in <> 0
           or closed_day.day_bytes_out <> 0 or closed_day.day_session_seconds <> 0 or closed_day.day_tunnels <> 0 then
            insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel)
            values (p_account, closed_day.day_start, closed_day.day_used, closed_day.day_ops, closed_day.day_bytes_in,
                    closed_day.day_bytes_out, closed_day.day_session_seconds, closed_day.day_tunnels)
            on conflict (account_id, day) do nothing;
        end if;
    end if;
    return locked.usage;
end $function$;

-- Writes back the usage row lock_usage answered (and the caller changed), under the same lock.
create or replace function store_usage(u account_usage)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    update account_usage set
        day_start = u.day_start, day_used = u.day_used, day_leased = u.day_leased, day_ops = u.day_ops,
        day_bytes_in = u.day_bytes_in, day_bytes_out = u.day_bytes_out,
        day_session_seconds = u.day_session_seconds, day_tunnels = u.day_tunnels,
        month_start = u.month_start, month_used = u.month_used, month_leased = u.month_leased,
        month_overshoot = u.month_overshoot, day_overshoot = u.day_overshoot, day_unbilled = u.day_unbilled,
        month_unbilled = u.month_unbilled, bytes_window_start = u.bytes_window_start, bytes_used = u.bytes_used,
        session_window_start = u.session_window_start, session_seconds_used = u.session_seconds_used,
        level = u.level, balance = u.balance, ledger_seq = u.ledger_seq, grants_due_at = u.grants_due_at,
        balance_alert_below = u.balance_alert_below, balance_low_sent = u.balance_low_sent,
        balance_depleted_sent = u.balance_depleted_sent, budget_count = u.budget_count
     where account_id = u.account_id;
end $function$;

-- exceeded when any window has nothing left; otherwise warn from 80 % of the binding window (the one with less
-- remaining), else ok. In numeric, so no counter can overflow the arithmetic. PL/pgSQL, not SQL: a SQL function
-- PostgreSQL cannot inline is parsed and planned again in every transaction.
create or replace function usage_level(u account_usage, day_limit bigint, month_limit bigint)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
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
end $function$;

-- When the window named by a 429's scope opens again (null for no scope); for the balance, when the next grant
-- takes effect, or in an hour when none is scheduled.
create or replace function window_reset(u account_usage, p_scope text)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return case p_scope
        when 'day' then ((u.day_start + 1)::timestamp at time zone 'utc')
        when 'month' then ((u.month_start + interval '1 month') at time zone 'utc')
        when 'bytes' then u.bytes_window_start + interval '7 days'
        when 'sessionSeconds' then u.session_window_start + interval '24 hours'
        when 'balance' then coalesce((select min(g.effective_at) from credit_grant g
                                       where g.account_id = u.account_id and g.state = 'pending'),
                                     now() + interval '1 hour')
    end;
end $function$;

-- Whether a token is still live (not revoked, not expired): every spending statement asks again, whatever the
-- authentication cache says.
create or replace function token_is_live(p_account bigint, p_token uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return (select k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
              from api_token k where k.account_id = p_account and k.token_id = p_token);
end $function$;

-- Rolls the account's ended day into usage_daily now, under its credit lock, as its next credit movement would, and
-- stores the rolled row (so a transaction that began before midnight and settles after this adds to the new day, as
-- it would after any other settlement). The usage export calls it for every account whose row still holds an ended
-- day, so that usage_daily has every ended day before it is read.
create or replace function roll_usage(p_account bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare
    rolled account_usage := lock_usage(p_account);
begin
    if rolled.account_id is not null then
        perform store_usage(rolled);
    end if;
end $function$;
