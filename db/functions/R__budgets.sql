-- Budgets and alert rules (contract §12) and what each token's tunnels were billed per UTC day. The settlement
-- functions (R__settlement.sql) hold an account's budgets in memory for a call, under the account's credit lock
-- (lock_usage), and write them back once; every function here that changes a budget runs under that lock, taken by
-- its caller or by itself.

-- The token a tunnel's spending is attributed to: the one that registered it, or the nil uuid for TUNNEL_SECRET.
create or replace function tunnel_token(p_token uuid)
 RETURNS uuid
 LANGUAGE sql
 IMMUTABLE
AS $function$
    select coalesce(p_token, '00000000-0000-0000-0000-000000000000'::uuid)
$function$;

-- Whether a budget counts the spending of a tunnel registered by p_token (a whole-account budget counts all).
create or replace function budget_covers(b budget, p_token uuid)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$
    select b.token_id is null or b.token_id = p_token or p_token = any (b.rolled_from)
$function$;

-- The start of a budget's current window: the UTC day or month.
create or replace function budget_window_start(p_period text)
 RETURNS date
 LANGUAGE sql
 STABLE
AS $function$
    select case when p_period = 'day' then (now() at time zone 'utc')::date
                else date_trunc('month', now() at time zone 'utc')::date end
$function$;

-- When a budget's window ends.
create or replace function budget_reset(b budget)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE
AS $function$
    select (case when b.period = 'day' then b.window_start + interval '1 day'
                 else b.window_start + interval '1 month' end)::timestamp at time zone 'utc'
$function$;

-- The budget as it reads now: a window that has passed starts again with nothing spent and nothing sent. One
-- expression without FROM, which PostgreSQL inlines where it is called.
create or replace function rolled_budget(b budget)
 RETURNS budget
 LANGUAGE sql
 STABLE
AS $function$
    select row(b.account_id, b.budget_id, b.name, b.token_id, b.rolled_from, b.period, b.limit_credits, b.action,
               b.thresholds,
               case when b.window_start < budget_window_start(b.period) then 0 else b.spent end,
               greatest(b.window_start, budget_window_start(b.period)),
               case when b.window_start < budget_window_start(b.period) then '{}' else b.thresholds_sent end,
               case when b.window_start < budget_window_start(b.period) then b.first_alert else b.next_alert end,
               b.first_alert, b.created_at)::budget
$function$;

-- The account's budgets, rolled to now, in the order they were created. (row(b.*)::budget, not b: on a Citus shard
-- a bare whole-row reference has the shard's own row type.)
create or replace function account_budgets(p_account bigint)
 RETURNS budget[]
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return (select coalesce(array_agg(rolled_budget(row(b.*)::budget) order by b.created_at, b.budget_id), '{}')
              from budget b where b.account_id = p_account);
end $function$;

-- For each budget, the credits held by the open tunnels in its scope (u: the account's usage row, whose day_leased
-- is what all its open tunnels hold). Read once per settling call; the settlement keeps it up to date after that.
create or replace function budgets_held(p_account bigint, u account_usage, budgets budget[])
 RETURNS bigint[]
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
    held bigint[] := '{}';
    tokens uuid[];
    token_held bigint[];
begin
    if exists (select 1 from unnest(budgets) b where b.token_id is not null) then
        select array_agg(x.token), array_agg(x.held) into tokens, token_held
          from (select tunnel_token(t.token_id) as token, sum(t.held)::bigint as held
                  from tunnel t where t.account_id = p_account and t.closed_at is null
                 group by 1) x;
    end if;
    for m in 1 .. cardinality(budgets) loop
        held := held || case when budgets[m].token_id is null then u.day_leased::bigint
            else coalesce((select sum(h) from unnest(tokens, token_held) x(token, h)
                            where budget_covers(budgets[m], x.token)), 0)::bigint end;
    end loop;
    return held;
end $function$;

-- Sends budget.threshold for each threshold of b that spent has reached and that was not sent in this window, and
-- moves next_alert to the smallest one left. Thresholds come in credits order, so their webhooks do too.
create or replace function budget_alerts(p_account bigint, b budget)
 RETURNS budget
 LANGUAGE plpgsql
AS $function$
declare
    e record;
begin
    b.next_alert := null;
    for e in
        select x.value as threshold, x.value ->> 'key' as key, (x.value ->> 'credits')::bigint as credits
          from jsonb_array_elements(b.thresholds) x
         order by 3, 2
    loop
        if e.key = any (b.thresholds_sent) then
            continue;
        elsif e.credits <= b.spent then
            b.thresholds_sent := b.thresholds_sent || e.key;
            perform enqueue_event(p_account, 'budget.threshold', jsonb_build_object('budgetId', b.budget_id,
                'threshold', e.threshold - 'key', 'window', b.period, 'spent', b.spent, 'limit', b.limit_credits));
        else
            b.next_alert := least(b.next_alert, e.credits);
        end if;
    end loop;
    return b;
end $function$;

-- Adds p_credits billed to a tunnel of p_token to every budget that counts it, with their threshold webhooks.
create or replace function budgets_spend(p_account bigint, budgets budget[], p_token uuid, p_credits bigint)
 RETURNS budget[]
 LANGUAGE plpgsql
AS $function$
begin
    for m in 1 .. cardinality(budgets) loop
        if budget_covers(budgets[m], p_token) then
            budgets[m].spent := sat_add(budgets[m].spent, p_credits);
            if budgets[m].spent >= budgets[m].next_alert then
                budgets[m] := budget_alerts(p_account, budgets[m]);
            end if;
        end if;
    end loop;
    return budgets;
end $function$;

-- What may still be billed to a tunnel of p_token under the blocking budgets that count it: a budget's spent never
-- goes past its limit plus the overshoot bound (leaseChunk x concurrentMax). Null when no blocking budget counts it.
create or replace function budgets_billable(budgets budget[], p_token uuid, p_bound bigint)
 RETURNS bigint
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
    v_billable bigint;
begin
    for m in 1 .. cardinality(budgets) loop
        if budgets[m].action = 'block' and budget_covers(budgets[m], p_token) then
            v_billable := least(v_billable,
                                greatest(budgets[m].limit_credits + p_bound - budgets[m].spent, 0));
        end if;
    end loop;
    return v_billable;
end $function$;

-- The blocking budget that leaves a tunnel of p_token least to lease (held: what each budget's scope holds now):
-- its id, when it frees up, and the least any of them leaves. Among those with nothing left, the one that frees up
-- last names the refusal.
create or replace function binding_budget(budgets budget[], held bigint[], p_token uuid,
                                          out budget_id uuid, out remaining bigint,
                                          out resets_at timestamp with time zone)
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
    v_left bigint;
    v_chosen_left bigint;
begin
    for m in 1 .. cardinality(budgets) loop
        if budgets[m].action = 'block' and budget_covers(budgets[m], p_token) then
            v_left := budgets[m].limit_credits - budgets[m].spent - held[m];
            if budget_id is null or (v_left <= 0 and (v_chosen_left > 0 or budget_reset(budgets[m]) > resets_at))
               or (v_chosen_left > 0 and v_left < v_chosen_left) then
                budget_id := budgets[m].budget_id;
                resets_at := budget_reset(budgets[m]);
                v_chosen_left := v_left;
            end if;
            remaining := least(remaining, v_left);
        end if;
    end loop;
end $function$;

-- The scope a refusal names once the budgets are counted: the binding budget when it has nothing left and frees up
-- after the scope found so far (a tie goes to the window, and to the budget over the balance).
create or replace function budget_scope(u account_usage, p_scope text, p_remaining bigint,
                                        p_resets_at timestamp with time zone)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    if p_remaining <= 0 and (p_scope is null or p_resets_at > window_reset(u, p_scope)
                             or (p_scope = 'balance' and p_resets_at = window_reset(u, p_scope))) then
        return 'budget';
    end if;
    return p_scope;
end $function$;

-- Writes back the spending state of the budgets a settlement held in memory, under the same credit lock.
create or replace function store_budgets(p_account bigint, budgets budget[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    update budget x
       set spent = b.spent, window_start = b.window_start, thresholds_sent = b.thresholds_sent,
           next_alert = b.next_alert
      from unnest(budgets) b
     where x.account_id = p_account and x.budget_id = b.budget_id;
end $function$;

-- Adds a settlement's per-token totals to today's token_daily rows, in one statement.
create or replace function add_token_usage(p_account bigint, p_totals token_daily[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    insert into token_daily as d (account_id, day, token_id, credit, op, byte_in, byte_out, session_second, tunnel,
                                  unbilled)
    select p_account, (now() at time zone 'utc')::date, x.token_id, x.credit, x.op, x.byte_in, x.byte_out,
           x.session_second, x.tunnel, x.unbilled
      from unnest(p_totals) x
        on conflict (account_id, day, token_id) do update set
           credit = sat_add(d.credit, excluded.credit), op = sat_add(d.op, excluded.op),
           byte_in = sat_add(d.byte_in, excluded.byte_in), byte_out = sat_add(d.byte_out, excluded.byte_out),
           session_second = sat_add(d.session_second, excluded.session_second),
           tunnel = sat_add(d.tunnel, excluded.tunnel), unbilled = sat_add(d.unbilled, excluded.unbilled);
end $function$;

-- Credits billed to p_token's tunnels (and the tokens it was rolled from) since p_since, from token_daily; what a
-- new budget has already spent in its window.
create or replace function token_spent(p_account bigint, p_tokens uuid[], p_since date)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return (select coalesce(sum(d.credit), 0)::bigint from token_daily d
             where d.account_id = p_account and d.day >= p_since and d.token_id = any (p_tokens));
end $function$;

-- Creates a budget under the account's credit lock, with what its scope already spent in the window, unless the
-- account has p_max budgets already (then nothing is returned).
create or replace function add_budget(p_account bigint, p_budget uuid, p_name text, p_token uuid, p_period text,
                                      p_limit bigint, p_action text, p_thresholds jsonb, p_max integer)
 RETURNS SETOF budget
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
    b budget;
begin
    u := lock_usage(p_account);
    if u.budget_count >= p_max then
        return;
    end if;
    b := row(p_account, p_budget, p_name, p_token, '{}', p_period, p_limit, p_action, p_thresholds, 0,
             budget_window_start(p_period), '{}', null, null, now())::budget;
    b.spent := case when p_token is not null then token_spent(p_account, array[p_token], b.window_start)
                    when p_period = 'day' then u.day_used else u.month_used end;
    b := budget_thresholds(p_account, b, p_thresholds);
    insert into budget select b.*;
    u.budget_count := u.budget_count + 1;
    perform store_usage(u);
    return next b;
end $function$;

-- Sets a budget's thresholds: the keys already sent in this window stay sent, and those the spending has already
-- reached are sent now, once.
create or replace function budget_thresholds(p_account bigint, b budget, p_thresholds jsonb)
 RETURNS budget
 LANGUAGE plpgsql
AS $function$
begin
    b.thresholds := p_thresholds;
    b.thresholds_sent := array(select k from unnest(b.thresholds_sent) k
                                where k in (select x ->> 'key' from jsonb_array_elements(p_thresholds) x));
    b.first_alert := (select min((x ->> 'credits')::bigint) from jsonb_array_elements(p_thresholds) x);
    return budget_alerts(p_account, b);
end $function$;

-- Changes a budget's name, limit, action or thresholds (null: unchanged) under the account's credit lock; nothing is
-- returned when the account has no such budget.
create or replace function change_budget(p_account bigint, p_budget uuid, p_name text, p_limit bigint, p_action text,
                                         p_thresholds jsonb)
 RETURNS SETOF budget
 LANGUAGE plpgsql
AS $function$
declare
    b budget;
begin
    perform lock_usage(p_account);
    select (rolled_budget(row(x.*)::budget)).* into b
      from budget x where x.account_id = p_account and x.budget_id = p_budget;
    if not found then
        return;
    end if;
    b.name := coalesce(p_name, b.name);
    b.limit_credits := coalesce(p_limit, b.limit_credits);
    b.action := coalesce(p_action, b.action);
    b := budget_thresholds(p_account, b, coalesce(p_thresholds, b.thresholds));
    update budget x set name = b.name, limit_credits = b.limit_credits, action = b.action, thresholds = b.thresholds,
           spent = b.spent, window_start = b.window_start, thresholds_sent = b.thresholds_sent,
           next_alert = b.next_alert, first_alert = b.first_alert
     where x.account_id = p_account and x.budget_id = p_budget;
    return next b;
end $function$;

-- Deletes a budget under the account's credit lock; what was billed stays billed.
create or replace function remove_budget(p_account bigint, p_budget uuid)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
begin
    u := lock_usage(p_account);
    delete from budget x where x.account_id = p_account and x.budget_id = p_budget;
    if not found then
        return false;
    end if;
    u.budget_count := u.budget_count - 1;
    perform store_usage(u);
    return true;
end $function$;

-- A roll moves the old token's budgets to the new one; the old token's tunnels still count for them.
create or replace function move_budgets(p_account bigint, p_from uuid, p_to uuid)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    perform lock_usage(p_account);
    update budget x set token_id = p_to, rolled_from = x.rolled_from || p_from
     where x.account_id = p_account and x.token_id = p_from;
end $function$;
