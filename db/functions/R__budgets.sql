-- Budgets and alert rules (contract §12) and what each token's tunnels were billed per UTC day. The settlement
-- functions (R__settlement.sql) hold an account's budgets in memory for a call, beside what each has spent (its
-- scope's billing since its window began, never stored: the usage row's for the whole account, token_daily's for
-- tokens) and what the open tunnels in its scope hold, under the account's credit lock (lock_usage); a budget row is
-- written back only when a threshold is sent. Every function here that changes a budget runs under that lock, taken
-- by its caller or by itself.

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

-- When the current window of a budget of this period ends.
create or replace function budget_window_end(p_period text)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
    select (budget_window_start(p_period) + case when p_period = 'day' then interval '1 day'
                                                  else interval '1 month' end)::timestamp at time zone 'utc'
$function$;

-- The budget as it reads now: a window that has passed starts again with nothing sent. One expression without
-- FROM, which PostgreSQL inlines where it is called.
create or replace function rolled_budget(b budget)
 RETURNS budget
 LANGUAGE sql
 STABLE
AS $function$
    select row(b.account_id, b.budget_id, b.name, b.token_id, b.rolled_from, b.period, b.limit_credits, b.action,
               b.thresholds, greatest(b.window_start, budget_window_start(b.period)),
               case when b.window_start < budget_window_start(b.period) then '{}' else b.thresholds_sent end,
               case when b.window_start < budget_window_start(b.period) then b.first_alert else b.next_alert end,
               b.first_alert, b.created_at)::budget
$function$;

-- The account's budgets, rolled to now, in the order they were created (u: the account's usage row, rolled), and the
-- book a settlement keeps of them: each budget's terms as scalars (read in the same statement), what it has spent in
-- its window — for the whole account its day or month used, for a token the credits token_daily holds for it and
-- the tokens it was rolled from since the window began — and for each blocking one what the open tunnels in its scope
-- hold (the usage row's day_leased for the whole account; one grouped read of the open tunnels for tokens). (row(b.*)
-- ::budget, not b: on a Citus shard a bare whole-row reference has the shard's own row type.)
create or replace function account_budgets(p_account bigint, u account_usage, out budgets budget[],
                                           out book budget_book)
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
    token_ids uuid[];
    by_day boolean[];
    any_token boolean;
    any_blocking_token boolean;
    tokens uuid[];
    today_credits bigint[];
    month_credits bigint[];
    held_tokens uuid[];
    token_held bigint[];
    v_spent bigint;
    v_held bigint;
begin
    book := row('{}', '{}', '{}', '{}', '{}', '{}', '{}', null, '{}')::budget_book;
    select coalesce(array_agg(rolled_budget(row(b.*)::budget) order by b.created_at, b.budget_id), '{}'),
           array_agg(b.budget_id order by b.created_at, b.budget_id),
           array_agg(b.action = 'block' order by b.created_at, b.budget_id),
           array_agg(b.limit_credits order by b.created_at, b.budget_id),
           array_agg(case when b.window_start < budget_window_start(b.period) then b.first_alert else b.next_alert end
                     order by b.created_at, b.budget_id),
           array_agg(budget_window_end(b.period) order by b.created_at, b.budget_id),
           array_agg(b.token_id order by b.created_at, b.budget_id),
           array_agg(b.period = 'day' order by b.created_at, b.budget_id),
           coalesce(bool_or(b.token_id is not null), false),
           coalesce(bool_or(b.token_id is not null and b.action = 'block'), false)
      into budgets, book.budget_id, book.blocking, book.limit_credits, book.next_alert, book.resets_at, token_ids,
           by_day, any_token, any_blocking_token
      from budget b where b.account_id = p_account;
    if any_token then
        select array_agg(d.token_id), array_agg(d.today), array_agg(d.month)
          into tokens, today_credits, month_credits
          from (select x.token_id, coalesce(sum(x.credit) filter (where x.day = u.day_start), 0)::bigint as today,
                       sum(x.credit)::bigint as month
                  from token_daily x where x.account_id = p_account and x.day >= u.month_start
                 group by x.token_id) d;
    end if;
    if any_blocking_token then
        select array_agg(x.token), array_agg(x.held) into held_tokens, token_held
          from (select tunnel_token(t.token_id) as token, sum(t.held)::bigint as held
                  from tunnel t where t.account_id = p_account and t.closed_at is null
                 group by 1) x;
    end if;
    for m in 1 .. cardinality(budgets) loop
        v_spent := 0;
        v_held := 0;
        if token_ids[m] is null then
            v_spent := case when by_day[m] then u.day_used else u.month_used end;
            v_held := case when book.blocking[m] then u.day_leased else 0 end;
        else
            for k in 1 .. coalesce(cardinality(tokens), 0) loop
                if budget_covers(budgets[m], tokens[k]) then
                    v_spent := v_spent + case when by_day[m] then today_credits[k] else month_credits[k] end;
                end if;
            end loop;
            for k in 1 .. case when book.blocking[m] then coalesce(cardinality(held_tokens), 0) else 0 end loop
                if budget_covers(budgets[m], held_tokens[k]) then
                    v_held := v_held + token_held[k];
                end if;
            end loop;
        end if;
        book.spent := book.spent || v_spent;
        book.held := book.held || v_held;
    end loop;
end $function$;

-- The book turned to the budgets that count p_token's tunnels (done again only when the token changes).
create or replace function book_for_token(book budget_book, budgets budget[], p_token uuid)
 RETURNS budget_book
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
    if book.token is distinct from p_token or cardinality(book.covers) <> cardinality(budgets) then
        book.token := p_token;
        book.covers := '{}';
        for m in 1 .. cardinality(budgets) loop
            book.covers := book.covers || budget_covers(budgets[m], p_token);
        end loop;
    end if;
    return book;
end $function$;

-- Sends budget.threshold for each threshold of b that p_spent has reached and that was not sent in this window,
-- and moves next_alert to the smallest one left. Thresholds go in credits order, so their webhooks do too.
create or replace function budget_alerts(p_account bigint, b budget, p_spent bigint)
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
         order by credits, key
    loop
        if e.key = any (b.thresholds_sent) then
            continue;
        elsif e.credits <= p_spent then
            b.thresholds_sent := b.thresholds_sent || e.key;
            perform enqueue_event(p_account, 'budget.threshold', jsonb_build_object('budgetId', b.budget_id,
                'threshold', e.threshold - 'key', 'window', b.period, 'spent', p_spent, 'limit', b.limit_credits));
        else
            b.next_alert := least(b.next_alert, e.credits);
        end if;
    end loop;
    return b;
end $function$;

-- Adds p_credits billed to a tunnel of the book's token to what every budget that counts it has spent; due says
-- whether one of them has reached a threshold not sent yet (then budgets_alert sends it).
create or replace function budgets_spend(inout book budget_book, p_credits bigint, out due boolean)
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
    due := false;
    for m in 1 .. cardinality(book.covers) loop
        if book.covers[m] then
            book.spent[m] := sat_add(book.spent[m], p_credits);
            due := due or book.spent[m] >= book.next_alert[m];
        end if;
    end loop;
end $function$;

-- Moves what the scopes of the budgets that count the book's token hold by p_delta (a tunnel's held changed).
create or replace function budgets_hold(book budget_book, p_delta bigint)
 RETURNS budget_book
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
    for m in 1 .. cardinality(book.covers) loop
        if book.covers[m] then
            book.held[m] := book.held[m] + p_delta;
        end if;
    end loop;
    return book;
end $function$;

-- Sends the thresholds every budget has reached and not sent yet, and writes the alert state of those that sent
-- one back (under the same credit lock); the book learns their next thresholds.
create or replace function budgets_alert(p_account bigint, inout budgets budget[], inout book budget_book)
 LANGUAGE plpgsql
AS $function$
begin
    for m in 1 .. cardinality(budgets) loop
        if book.spent[m] >= book.next_alert[m] then
            budgets[m] := budget_alerts(p_account, budgets[m], book.spent[m]);
            book.next_alert[m] := budgets[m].next_alert;
            update budget x set window_start = budgets[m].window_start,
                   thresholds_sent = budgets[m].thresholds_sent, next_alert = budgets[m].next_alert
             where x.account_id = p_account and x.budget_id = budgets[m].budget_id;
        end if;
    end loop;
end $function$;

-- What may still be billed to a tunnel of the book's token under the blocking budgets that count it: a budget's
-- spent never goes past its limit plus the overshoot bound (leaseChunk x concurrentMax). Null when none counts it.
create or replace function budgets_billable(book budget_book, p_bound bigint)
 RETURNS bigint
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
    v_billable bigint;
begin
    for m in 1 .. cardinality(book.covers) loop
        if book.covers[m] and book.blocking[m] then
            v_billable := least(v_billable, greatest(book.limit_credits[m] + p_bound - book.spent[m], 0));
        end if;
    end loop;
    return v_billable;
end $function$;

-- The blocking budget that leaves a tunnel of the book's token least to lease: its id, when it frees up, and the
-- least any of them leaves (limit - spent - held in its scope). Among those with nothing left, the one that frees up
-- last names the refusal.
create or replace function binding_budget(book budget_book, out budget_id uuid, out remaining bigint,
                                          out resets_at timestamp with time zone)
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
    v_left bigint;
    v_chosen_left bigint;
begin
    for m in 1 .. cardinality(book.covers) loop
        if book.covers[m] and book.blocking[m] then
            v_left := book.limit_credits[m] - book.spent[m] - book.held[m];
            if budget_id is null or (v_left <= 0 and (v_chosen_left > 0 or book.resets_at[m] > resets_at))
               or (v_chosen_left > 0 and v_left < v_chosen_left) then
                budget_id := book.budget_id[m];
                resets_at := book.resets_at[m];
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

-- The account's budgets as the API shows them, with what each has spent in its window; read without the credit
-- lock, from committed rows.
create or replace function budget_views(p_account bigint)
 RETURNS TABLE(budget_id uuid, name text, token_id uuid, period text, limit_credits bigint, action text, thresholds text, spent bigint, created_at timestamp with time zone)
 LANGUAGE plpgsql
 STABLE
AS $function$
#variable_conflict use_column
declare
    u account_usage;
    loaded record;
begin
    select (rolled_usage(row(x.*)::account_usage)).* into u from account_usage x where x.account_id = p_account;
    if not found then
        return;
    end if;
    loaded := account_budgets(p_account, u);
    return query select (loaded.budgets[i]).budget_id, (loaded.budgets[i]).name, (loaded.budgets[i]).token_id,
                        (loaded.budgets[i]).period, (loaded.budgets[i]).limit_credits, (loaded.budgets[i]).action,
                        (loaded.budgets[i]).thresholds::text, (loaded.book).spent[i], (loaded.budgets[i]).created_at
                   from generate_subscripts(loaded.budgets, 1) i
                  order by i;
end $function$;

-- Sets a budget's thresholds (spent: what it has spent in its window): the keys already sent in this window stay
-- sent, and those the spending has already reached are sent now, once.
create or replace function budget_thresholds(p_account bigint, b budget, p_thresholds jsonb, p_spent bigint)
 RETURNS budget
 LANGUAGE plpgsql
AS $function$
begin
    b.thresholds := p_thresholds;
    b.thresholds_sent := array(select k from unnest(b.thresholds_sent) k
                                where k in (select x ->> 'key' from jsonb_array_elements(p_thresholds) x));
    b.first_alert := (select min((x ->> 'credits')::bigint) from jsonb_array_elements(p_thresholds) x);
    return budget_alerts(p_account, b, p_spent);
end $function$;

-- Writes a budget with its thresholds settled against what it has spent (inserted when p_new), under the account's
-- credit lock, which the caller holds (u).
create or replace function save_budget(p_account bigint, u account_usage, b budget, p_new boolean)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare
    loaded record;
    v_spent bigint;
begin
    if p_new then
        insert into budget select b.*;
    else
        update budget x set name = b.name, limit_credits = b.limit_credits, action = b.action
         where x.account_id = p_account and x.budget_id = b.budget_id;
    end if;
    loaded := account_budgets(p_account, u);
    v_spent := (select (loaded.book).spent[i] from generate_subscripts(loaded.budgets, 1) i
                 where (loaded.budgets[i]).budget_id = b.budget_id);
    b := budget_thresholds(p_account, b, b.thresholds, v_spent);
    update budget x set thresholds = b.thresholds, window_start = b.window_start, thresholds_sent = b.thresholds_sent,
           next_alert = b.next_alert, first_alert = b.first_alert
     where x.account_id = p_account and x.budget_id = b.budget_id;
end $function$;

-- Creates a budget under the account's credit lock, unless the account has p_max budgets already (then false).
create or replace function add_budget(p_account bigint, p_budget uuid, p_name text, p_token uuid, p_period text,
                                      p_limit bigint, p_action text, p_thresholds jsonb, p_max integer)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
begin
    u := lock_usage(p_account);
    if u.budget_count >= p_max then
        return false;
    end if;
    perform save_budget(p_account, u, row(p_account, p_budget, p_name, p_token, '{}', p_period, p_limit, p_action,
                                          p_thresholds, budget_window_start(p_period), '{}', null, null,
                                          now())::budget, true);
    u.budget_count := u.budget_count + 1;
    perform store_usage(u);
    return true;
end $function$;

-- Changes a budget's name, limit, action or thresholds (null: unchanged) under the account's credit lock; false
-- when the account has no such budget.
create or replace function change_budget(p_account bigint, p_budget uuid, p_name text, p_limit bigint, p_action text,
                                         p_thresholds jsonb)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
    b budget;
begin
    u := lock_usage(p_account);
    select (rolled_budget(row(x.*)::budget)).* into b
      from budget x where x.account_id = p_account and x.budget_id = p_budget;
    if not found then
        return false;
    end if;
    b.name := coalesce(p_name, b.name);
    b.limit_credits := coalesce(p_limit, b.limit_credits);
    b.action := coalesce(p_action, b.action);
    b.thresholds := coalesce(p_thresholds, b.thresholds);
    perform save_budget(p_account, u, b, false);
    return true;
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
