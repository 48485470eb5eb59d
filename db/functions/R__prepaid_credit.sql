-- Prepaid credit (contract §11): grants, the ledger, the balance and its alerts. Every function here runs under the
-- account's credit lock (lock_usage, in R__usage_windows.sql): those called with the usage row u are called by a
-- function that took it; the others take it first. The balance, the ledger's next seq and grants_due_at live on the
-- usage row, so the ledger and the balance change together, and a settlement with no grant moment due reads no
-- grant.

-- Appends one ledger entry and moves the balance by its credits; a grant entry that lifts the balance back over the
-- alert threshold (or makes credit available again) re-arms that alert.
create or replace function ledger_append(p_account bigint, u account_usage, p_at timestamp with time zone, p_kind text, p_grant uuid, p_credits bigint, p_request_id text)
 RETURNS account_usage
 LANGUAGE plpgsql
AS $function$
begin
    u.ledger_seq := u.ledger_seq + 1;
    u.balance := u.balance + p_credits;
    insert into credit_ledger (account_id, seq, at, kind, grant_id, credits, balance, request_id)
    values (p_account, u.ledger_seq, p_at, p_kind, p_grant, p_credits, u.balance, p_request_id);
    if p_kind = 'grant' then
        if u.balance_alert_below is null or u.balance >= u.balance_alert_below then
            u.balance_low_sent := false;
        end if;
        if u.balance - u.day_leased > 0 then
            u.balance_depleted_sent := false;
        end if;
    end if;
    return u;
end $function$;

-- The next moment a grant of the account enters the balance or expires (null: none to come).
create or replace function next_grant_moment(p_account bigint)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    return (select min(case when g.state = 'pending' then g.effective_at else g.expires_at end)
              from credit_grant g
             where g.account_id = p_account and g.state in ('pending', 'active'));
end $function$;

-- The grant moments that have passed, in time order: a pending grant enters the balance at effective_at (repaying a
-- deficit first) and an active one leaves it at expires_at (an expire entry of what it still held, and grant.expired).
-- An entry is dated at its moment, or at the grant's creation for a grant created after it. Then grants_due_at is the
-- next moment to come.
create or replace function apply_grant_events(p_account bigint, u account_usage)
 RETURNS account_usage
 LANGUAGE plpgsql
AS $function$
declare
    e record;
    v_left bigint;
begin
    for e in
        select g.grant_id, g.credits, ev.kind, greatest(ev.moment, g.created_at) as at
          from credit_grant g
         cross join lateral (values ('grant', g.effective_at), ('expire', g.expires_at)) ev(kind, moment)
         where g.account_id = p_account and g.state in ('pending', 'active') and ev.moment <= now()
           and (ev.kind = 'expire' or g.state = 'pending')
         order by ev.moment, ev.kind desc, g.created_at, g.grant_id
    loop
        if e.kind = 'grant' then
            update credit_grant g set state = 'active', remaining = g.credits - least(g.credits, greatest(-u.balance, 0))
             where g.account_id = p_account and g.grant_id = e.grant_id;
            u := ledger_append(p_account, u, e.at, 'grant', e.grant_id, e.credits, null);
        else
            update credit_grant g set state = 'expired', remaining = 0
              from credit_grant old
             where g.account_id = p_account and g.grant_id = e.grant_id
               and old.account_id = p_account and old.grant_id = e.grant_id
            returning old.remaining into v_left;
            u := ledger_append(p_account, u, e.at, 'expire', e.grant_id, -v_left, null);
            perform enqueue_event(p_account, 'grant.expired',
                jsonb_build_object('grantId', e.grant_id, 'credits', v_left, 'expiredAt', e.at));
        end if;
    end loop;
    u.grants_due_at := next_grant_moment(p_account);
    return u;
end $function$;

-- Bills p_charge credits of a prepaid account: drawn from its active grants in the contract's order (priority,
-- soonest expiry with none last, promotional before paid, oldest), one consume entry per grant; what they cannot
-- cover is a deficit (a consume entry without grant), but never below -p_bound: the caller counts as unbilled what
-- the balance did not move by.
create or replace function draw_credits(p_account bigint, u account_usage, p_charge bigint, p_bound bigint, p_request_id text)
 RETURNS account_usage
 LANGUAGE plpgsql
AS $function$
declare
    g record;
    v_left bigint := least(p_charge, greatest(u.balance + p_bound, 0));
    v_take bigint;
    v_at timestamp with time zone := now();
begin
    if v_left <= 0 then
        return u;
    end if;
    for g in
        select x.grant_id, x.remaining from credit_grant x
         where x.account_id = p_account and x.state = 'active' and x.remaining > 0
         order by x.priority, x.expires_at nulls last, x.category = 'paid', x.created_at, x.grant_id
    loop
        v_take := least(v_left, g.remaining);
        update credit_grant x set remaining = x.remaining - v_take
         where x.account_id = p_account and x.grant_id = g.grant_id;
        u := ledger_append(p_account, u, v_at, 'consume', g.grant_id, -v_take, p_request_id);
        v_left := v_left - v_take;
        exit when v_left = 0;
    end loop;
    if v_left > 0 then
        u := ledger_append(p_account, u, v_at, 'consume', null, -v_left, p_request_id);
    end if;
    return u;
end $function$;

-- The balance alerts of a prepaid account, each once until a grant re-arms it: balance.low when the balance falls
-- below the account's threshold, balance.depleted when nothing is available (balance less what is held).
create or replace function balance_alerts(p_account bigint, u account_usage)
 RETURNS account_usage
 LANGUAGE plpgsql
AS $function$
begin
    if u.balance_alert_below is not null and u.balance < u.balance_alert_below and not u.balance_low_sent then
        u.balance_low_sent := true;
        perform enqueue_event(p_account, 'balance.low', jsonb_build_object('balance', u.balance,
            'belowCredits', u.balance_alert_below, 'held', u.day_leased));
    end if;
    if u.balance - u.day_leased <= 0 and not u.balance_depleted_sent then
        u.balance_depleted_sent := true;
        perform enqueue_event(p_account, 'balance.depleted', jsonb_build_object('balance', u.balance,
            'held', u.day_leased, 'available', 0));
    end if;
    return u;
end $function$;

-- Writes back a grant call's or a scheduled run's change of the usage row, with the balance alerts it crossed if
-- the account is prepaid (a settlement, which has read the account already, calls balance_alerts itself).
create or replace function store_credit_change(p_account bigint, u account_usage)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    if (select a.funding from account a where a.account_id = p_account) = 'prepaid' then
        u := balance_alerts(p_account, u);
    end if;
    perform store_usage(u);
end $function$;

-- A new grant. Idempotent by key for 24 hours (the same fingerprint replays the first grant, another is a
-- conflict; an older key is forgotten) and by Stripe invoice for ever. It enters the balance now if it is already
-- effective. Outcomes: created, replayed, conflict, not_found.
create or replace function add_grant(p_account bigint, p_credits bigint, p_category text, p_priority integer, p_effective_at timestamp with time zone, p_expires_at timestamp with time zone, p_note text, p_source text, p_idempotency_key text, p_fingerprint text, p_stripe_invoice text, p_stripe_amount_paid bigint)
 RETURNS TABLE(outcome text, grant_id uuid)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
declare
    u account_usage;
    old record;
    v_id uuid := gen_random_uuid();
    v_effective timestamp with time zone := coalesce(p_effective_at, now());
begin
    u := lock_usage(p_account);
    if u.account_id is null then
        return query select 'not_found', null::uuid;
        return;
    end if;
    if p_idempotency_key is not null then
        select g.grant_id, g.request_fingerprint, g.created_at into old from credit_grant g
         where g.account_id = p_account and g.idempotency_key = p_idempotency_key;
        if found and old.created_at > now() - interval '24 hours' then
            return query select case when old.request_fingerprint = p_fingerprint then 'replayed' else 'conflict' end,
                                old.grant_id;
            return;
        elsif found then
            update credit_grant g set idempotency_key = null
             where g.account_id = p_account and g.grant_id = old.grant_id;
        end if;
    end if;
    if p_stripe_invoice is not null then
        select g.grant_id into old from credit_grant g
         where g.account_id = p_account and g.stripe_invoice_id = p_stripe_invoice;
        if found then
            return query select 'replayed', old.grant_id;
            return;
        end if;
    end if;
    insert into credit_grant (account_id, grant_id, credits, remaining, category, priority, effective_at, expires_at,
                              source, note, idempotency_key, request_fingerprint, stripe_invoice_id,
                              stripe_amount_paid)
    values (p_account, v_id, p_credits, p_credits, p_category, p_priority, v_effective, p_expires_at, p_source,
            p_note, p_idempotency_key, p_fingerprint, p_stripe_invoice, p_stripe_amount_paid);
    u.grants_due_at := least(u.grants_due_at, v_effective);
    if u.grants_due_at <= now() then
        u := apply_grant_events(p_account, u);
    end if;
    perform store_credit_change(p_account, u);
    return query select 'created', v_id;
end $function$;

-- Voids a grant: all it still holds, or (p_share, a credit note's part of what was paid) that share of it, rounded
-- down. An active grant's void is a ledger entry; a pending one leaves the balance alone. Fully voided, it is
-- voided. Outcomes: ok, not_found, voided (it was voided or has expired).
create or replace function void_grant(p_account bigint, p_grant uuid, p_share numeric, p_request_id text)
 RETURNS TABLE(outcome text)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
declare
    u account_usage;
    g credit_grant;
    v_take bigint;
    -- A variable, not now() in the update's CASE: Citus refuses a non-immutable function there.
    v_now timestamp with time zone := now();
begin
    u := lock_usage(p_account);
    if u.grants_due_at <= v_now then
        u := apply_grant_events(p_account, u);
    end if;
    select * into g from credit_grant x where x.account_id = p_account and x.grant_id = p_grant;
    if not found then
        perform store_usage(u);
        return query select 'not_found';
        return;
    elsif g.state in ('voided', 'expired') then
        perform store_usage(u);
        return query select 'voided';
        return;
    end if;
    v_take := case when p_share is null or p_share >= 1 then g.remaining else floor(g.remaining * p_share)::bigint end;
    update credit_grant x
       set remaining = x.remaining - v_take,
           credits = case when g.state = 'pending' then x.credits - v_take else x.credits end,
           state = case when v_take = g.remaining then 'voided' else x.state end,
           voided_at = case when v_take = g.remaining then v_now end
     where x.account_id = p_account and x.grant_id = p_grant;
    if g.state = 'active' and v_take > 0 then
        u := ledger_append(p_account, u, v_now, 'void', p_grant, -v_take, p_request_id);
    end if;
    if v_take = g.remaining then
        u.grants_due_at := next_grant_moment(p_account);
    end if;
    perform store_credit_change(p_account, u);
    return query select 'ok';
end $function$;

-- The scheduled run's part: the grant moments of one account that have passed, if no settlement has written them.
create or replace function apply_due_grants(p_account bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
begin
    u := lock_usage(p_account);
    if u.grants_due_at <= now() then
        u := apply_grant_events(p_account, u);
        perform store_credit_change(p_account, u);
    end if;
end $function$;

-- Sets (or, with null, clears) the balance.low threshold.
create or replace function set_balance_alert(p_account bigint, p_below bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare
    u account_usage;
begin
    u := lock_usage(p_account);
    u.balance_alert_below := p_below;
    -- A balance already below the new threshold has not crossed it: the alert arms once a grant lifts it above.
    u.balance_low_sent := coalesce(u.balance < p_below, false);
    perform store_usage(u);
end $function$;

-- The scope of a refusal: p_scope (the window that has nothing left, or null), or balance when a prepaid account has
-- nothing available and its balance frees up last (ties go to the window).
create or replace function spent_scope(u account_usage, p_scope text, p_prepaid boolean)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
    if p_prepaid and u.balance - u.day_leased <= 0
       and (p_scope is null or window_reset(u, 'balance') > window_reset(u, p_scope)) then
        return 'balance';
    end if;
    return p_scope;
end $function$;
