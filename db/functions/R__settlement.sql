-- The money core: every credit movement of an account, each one statement under the account's credit lock
-- (lock_usage, in R__usage_windows.sql). docs/architecture.md tells a lease's path; the rules are stated here, next
-- to the code that applies them.

-- The credit a registration costs: one credit, charged on committed numbers under the credit lock to the token that
-- registers (p_token; null for TUNNEL_SECRET), with the usage the answer reports. Refused (scope) when a window, the
-- prepaid balance or a blocking budget of that token has nothing left. decided_at is the database's time, which the
-- tunnel's timestamps use.
create or replace function charge_registration(p_account bigint, p_token uuid, p_request_id text)
 RETURNS TABLE(outcome text, scope text, level text, previous_level text, day_used bigint, day_leased bigint, day_limit bigint, day_unbilled bigint, month_used bigint, month_leased bigint, month_limit bigint, month_unbilled bigint, resets_at timestamp with time zone, decided_at timestamp with time zone, budget_id uuid, budget_remaining bigint)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
declare
    u account_usage;
    a record;
    v_previous text;
    v_scope text;
    v_token uuid := tunnel_token(p_token);
    loaded record;
    book budget_book;
    binding record;
    spending record;
    v_budget uuid;
    v_budget_left bigint;
    v_resets_at timestamp with time zone;
begin
    u := lock_usage(p_account);
    v_previous := u.level;
    select x.day_limit, x.month_limit, x.funding = 'prepaid' as prepaid, x.lease_chunk * x.concurrent_max as bound
      into a from account x where x.account_id = p_account;
    if u.grants_due_at <= now() then
        u := apply_grant_events(p_account, u);
    end if;
    if least(a.day_limit::numeric - u.day_used - u.day_leased, a.month_limit::numeric - u.month_used - u.month_leased) <= 0 then
        v_scope := case when a.day_limit::numeric - u.day_used - u.day_leased
                             <= a.month_limit::numeric - u.month_used - u.month_leased then 'day' else 'month' end;
    end if;
    v_scope := spent_scope(u, v_scope, a.prepaid);
    if u.budget_count > 0 then
        loaded := account_budgets(p_account, u);
        book := book_for_token(loaded.book, loaded.budgets, v_token);
        binding := binding_budget(book);
        v_budget_left := binding.remaining;
        if v_budget_left is not null then
            v_scope := budget_scope(u, v_scope, v_budget_left, binding.resets_at);
        end if;
        if v_scope = 'budget' then
            v_budget := binding.budget_id;
            v_resets_at := binding.resets_at;
        end if;
    end if;
    if v_scope is null then
        u.day_used := sat_add(u.day_used, 1);
        u.month_used := sat_add(u.month_used, 1);
        u.day_tunnels := sat_add(u.day_tunnels, 1);
        if a.prepaid then
            u := draw_credits(p_account, u, 1, a.bound, p_request_id);
        end if;
        if u.budget_count > 0 then
            spending := budgets_spend(book, 1);
            if spending.due then
                perform budgets_alert(p_account, loaded.budgets, spending.book);
            end if;
        end if;
        perform add_token_usage(p_account, array[row(p_account, null, v_token, 1, 0, 0, 0, 0, 1, 0)::token_daily]);
        v_budget_left := v_budget_left - 1;
    end if;
    if a.prepaid then
        u := balance_alerts(p_account, u);
    end if;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
    if v_scope is distinct from 'budget' then
        v_resets_at := window_reset(u, v_scope);
    end if;
    return query select case when v_scope is null then 'ok' else 'quota' end, v_scope, u.level::text, v_previous,
        u.day_used, u.day_leased::bigint, a.day_limit, u.day_unbilled, u.month_used, u.month_leased::bigint,
        a.month_limit, u.month_unbilled, v_resets_at, now(), v_budget,
        case when v_budget_left < 0 then 0 else v_budget_left end;
end $function$;

-- Leases, closes and late reports of one account, in the order given, in one statement. Safe with any number of
-- replicas because lock_usage takes the account's account_usage row lock (FOR UPDATE) before anything is decided:
-- every credit movement of the account, and every Idempotency-Key lookup and insert of its leases, is serialised on
-- it, so grants are decided on committed numbers and one key is charged once. The values held in memory during the
-- batch are the rows this statement locked or owns (the usage row) or may only change under that lock (the
-- tunnels' credit columns, the keys), so no other transaction can change them under it.
--
-- Per call, in order (each call sees what the calls before it did):
-- * a report made with a revoked or expired token (p_tokens is re-checked here, whatever the authentication cache
--   says) may only report on a tunnel that token registered: it is charged and the tunnel closes as 'revoked';
-- * with an Idempotency-Key already used: the same request on the tunnel's latest report is answered again from
--   its record (a lease whose tunnel has closed since answers 'closed'); anything else is idempotency_conflict;
-- * open tunnel: min(consumed, held) moves from leased to used; consumed beyond held is overshoot, charged up to one
--   lease chunk per report and only while the window's overshoot (day and month counters, each at most
--   leaseChunk x concurrentMax) has room; the rest is unbilled (the tunnel's and the windows' counters), and the
--   first capped report of a tunnel in a UTC day says capped, for the audit log. A lease then grants min(want ?? leaseChunk, leaseChunk, dayRemaining, monthRemaining) on top of
--   what the tunnel still holds (nothing once the plan's 7-day bytes or 24-hour session seconds are spent); a close
--   returns what is still held;
-- * closed tunnel (a late report): charged for p_late_seconds after the close, up to what the tunnel held at close
--   plus one lease chunk in all (for a stale tunnel, whose held lease was charged when it was reaped, only
--   consumption beyond that lease, up to one chunk), the part beyond what it held counting as overshoot under the
--   same window bound; then the outcome is 'closed'. What is not charged is unbilled, and late_refused says so, for
--   the audit log;
-- * on a prepaid account what a call charges is drawn from the grants (draw_credits, in R__prepaid_credit.sql), at
--   most down to a balance of -leaseChunk x concurrentMax, the rest unbilled; and a lease also grants no more than
--   is available (balance less held), else 429 with scope balance. Grant moments that have passed (grants_due_at)
--   are written first, and the balance alerts after the batch.
-- * an account's budgets (R__budgets.sql) are read once per batch, with what each has spent in its window and what
--   the open tunnels in each one's scope hold: a charge is billed only as far as every blocking budget that counts
--   the tunnel's token stays within its limit plus leaseChunk x concurrentMax (the rest unbilled, overshoot first); a
--   lease grants no more than any of them leaves (limit - spent - held in its scope), else 429 with scope budget;
--   each charge is added to what the budgets that count the token have spent (a threshold reached is sent and its
--   budget written at once) and to the token's totals of the day (token_daily, written once after the batch).
-- What changes nothing on the common call is skipped: the level webhook's helper is called only when the level
-- moved from a known one, the reset time only for a 429, and a batch of one call finds its tunnel without a query.
--
-- Outcomes: ok, quota, closed, not_found, unauthorized, idempotency_conflict. Rows come back with their position in
-- the arrays.
create or replace function settle_tunnels(p_account bigint, p_tunnels uuid[], p_tokens uuid[], p_consumed bigint[], p_want bigint[], p_bytes_in bigint[], p_bytes_out bigint[], p_close boolean[], p_keys text[], p_request_ids text[], p_late_seconds bigint)
 RETURNS TABLE(ordinal integer, result settlement)
 LANGUAGE plpgsql
AS $function$
declare
    n integer := coalesce(array_length(p_tunnels, 1), 0);
    u account_usage;
    a record;
    tunnels tunnel[];
    slot integer[];
    changed boolean[];
    known_keys jsonb;
    new_keys idempotency_key[] := '{}';
    settled boolean := false;
    checked_token uuid;
    checked_live boolean;
    r settlement;
    t tunnel;
    k idempotency_key;
    j integer;
    v_token_live boolean;
    v_kind text;
    v_fingerprint text;
    v_commit bigint;
    v_held bigint;
    v_granted bigint;
    v_returned bigint;
    v_seconds bigint;
    v_bytes bigint;
    v_day_left numeric;
    v_month_left numeric;
    v_reason text;
    v_total bigint;
    v_free bigint;
    v_cap bigint;
    v_paid bigint;
    v_before bigint;
    v_after bigint;
    v_over bigint;
    v_over_billed bigint;
    v_charge bigint;
    v_unbilled bigint;
    v_counted boolean;
    v_available bigint;
    v_balance bigint;
    v_cut bigint;
    budgets budget[] := '{}';
    book budget_book;
    loaded record;
    binding record;
    spending record;
    alerted record;
    v_billable bigint;
    v_token uuid;
    token_totals token_daily[] := '{}';
    total_tokens uuid[] := '{}';
    v_total_slot integer;
    v_held_before bigint;
begin
    if n = 0 then
        return;
    end if;
    u := lock_usage(p_account);
    select x.day_limit, x.month_limit, x.lease_chunk, x.plan, p.bytes_per_7d, p.session_seconds_per_24h,
           x.lease_chunk * x.concurrent_max as overshoot_bound, x.funding = 'prepaid' as prepaid into a
      from account x join plan p on p.plan_id = x.plan where x.account_id = p_account;
    if u.grants_due_at <= now() then
        u := apply_grant_events(p_account, u);
    end if;
    if u.budget_count > 0 then
        loaded := account_budgets(p_account, u);
        budgets := loaded.budgets;
        book := loaded.book;
    end if;
    -- The batch's tunnels once, and for each call the position of its tunnel among them.
    select coalesce(array_agg(row(x.*)::tunnel order by x.tunnel_id), '{}') into tunnels
      from tunnel x where x.account_id = p_account and x.tunnel_id = any (p_tunnels);
    if n = 1 then
        slot := array[case when cardinality(tunnels) = 1 then 1 end];
    else
        select array_agg(e.ordinality::integer order by c.ord) into slot
          from unnest(p_tunnels) with ordinality c(tunnel_id, ord)
          left join unnest(tunnels) with ordinality e on e.tunnel_id = c.tunnel_id;
    end if;
    changed := array_fill(false, array[greatest(cardinality(tunnels), 1)]);
    known_keys := '{}';
    if cardinality(array_remove(p_keys, null)) > 0 then
        select coalesce(jsonb_object_agg(x.idem_key, to_jsonb(x)), '{}') into known_keys
          from idempotency_key x where x.account_id = p_account and x.idem_key = any (p_keys);
    end if;

    for i in 1 .. n loop
        r := null;
        r.outcome := 'ok';
        r.granted := 0;
        r.held := 0;
        r.returned := 0;
        r.decided_at := now();
        r.replayed := false;
        r.late_refused := false;
        r.unbilled := 0;
        r.charged := 0;
        r.capped := false;
        <<settle>>
        begin
            v_token_live := true;
            if p_tokens[i] is not null then
                if p_tokens[i] is distinct from checked_token then
                    checked_token := p_tokens[i];
                    checked_live := token_is_live(p_account, checked_token);
                end if;
                v_token_live := checked_live;
                if v_token_live is null then
                    r.outcome := 'unauthorized';
                    exit settle;
                end if;
            end if;
            if u.account_id is null then
                r.outcome := 'not_found';
                exit settle;
            end if;
            j := slot[i];
            if j is null or (not v_token_live and tunnels[j].token_id is distinct from p_tokens[i]) then
                -- A dead token authenticates the reports of its own tunnels and nothing else.
                r.outcome := case when v_token_live then 'not_found' else 'unauthorized' end;
                exit settle;
            end if;
            t := tunnels[j];
            v_token := tunnel_token(t.token_id);
            v_held_before := t.held;
            if cardinality(budgets) > 0 then
                book := book_for_token(book, budgets, v_token);
            end if;

            v_kind := case when p_close[i] then 'close' else 'lease' end;
            if p_keys[i] is not null then
                v_fingerprint := concat_ws('|', v_kind, p_consumed[i],
                    case when p_close[i] then '-' else coalesce(p_want[i], a.lease_chunk)::text end,
                    p_bytes_in[i], p_bytes_out[i]);
                if known_keys ? p_keys[i] then
                    k := jsonb_populate_record(null::idempotency_key, known_keys -> p_keys[i]);
                    if k.tunnel_id is distinct from p_tunnels[i] or k.kind <> v_kind
                       or k.fingerprint <> v_fingerprint or t.last_report_key is distinct from p_keys[i] then
                        r.outcome := 'idempotency_conflict';
                    elsif k.kind = 'lease' and t.closed_at is not null and k.result ->> 'outcome' <> 'closed' then
                        -- The tunnel closed since the first answer: its grant is gone, so say so, charge nothing.
                        r.outcome := 'closed';
                        r.close_reason := t.close_reason;
                    else
                        r := jsonb_populate_record(null::settlement, k.result);
                        r.replayed := true;
                    end if;
                    exit settle;
                end if;
            end if;

            settled := true;
            v_granted := 0;
            v_returned := 0;
            v_seconds := 0;
            v_bytes := p_bytes_in[i] + p_bytes_out[i];
            v_reason := null;
            v_total := null;
            v_charge := 0;
            v_unbilled := 0;
            v_over_billed := 0;
            v_counted := true;
            r.previous_level := u.level;
            if t.closed_at is null then
                v_seconds := greatest(0, floor(extract(epoch from now() - t.last_seen_at)))::bigint;
            elsif now() > t.closed_at + make_interval(secs => p_late_seconds) then
                v_counted := false;
                r.late_refused := true;
            else
                -- Session time stops at closedAt.
                v_seconds := greatest(0, floor(extract(epoch from t.closed_at - t.last_seen_at)))::bigint;
            end if;
            -- The meters count first, so the report that crosses an allowance is the one that gets the 429.
            if v_counted then
                u.day_bytes_in := sat_add(u.day_bytes_in, p_bytes_in[i]);
                u.day_bytes_out := sat_add(u.day_bytes_out, p_bytes_out[i]);
                u.day_session_seconds := sat_add(u.day_session_seconds, v_seconds);
                if v_bytes > 0 then
                    u.bytes_window_start := coalesce(u.bytes_window_start, now());
                    u.bytes_used := sat_add(u.bytes_used, v_bytes);
                end if;
                if v_seconds > 0 then
                    u.session_window_start := coalesce(u.session_window_start, now());
                    u.session_seconds_used := sat_add(u.session_seconds_used, v_seconds);
                end if;
            end if;

            if t.closed_at is not null then
                -- Cumulative late reports, less what a stale tunnel's reaping already charged, before and after
                -- this one; of that, what the tunnel may bill (v_cap), the part beyond what it held being overshoot.
                v_paid := case when t.close_reason = 'stale' then t.held_at_close else 0 end;
                v_free := case when t.close_reason = 'stale' then 0 else t.held_at_close end;
                v_cap := case when t.close_reason = 'stale' then a.lease_chunk
                              else sat_add(t.held_at_close, a.lease_chunk) end;
                v_total := sat_add(t.late_consumed, p_consumed[i]);
                v_before := greatest(t.late_consumed - v_paid, 0);
                v_after := greatest(v_total - v_paid, 0);
                if v_counted then
                    v_over := greatest(least(v_after, v_cap) - v_free, 0) - greatest(least(v_before, v_cap) - v_free, 0);
                    v_over_billed := least(v_over, greatest(least(a.overshoot_bound - u.day_overshoot,
                                                                  a.overshoot_bound - u.month_overshoot), 0));
                    v_charge := least(v_after, v_cap) - least(v_before, v_cap) - v_over + v_over_billed;
                end if;
                v_unbilled := v_after - v_before - v_charge;
                r.outcome := 'closed';
                r.close_reason := t.close_reason;
            else
                v_commit := least(p_consumed[i], t.held);
                v_held := t.held - v_commit;
                v_over := p_consumed[i] - v_commit;
                if v_over > 0 then
                    v_over_billed := least(v_over, a.lease_chunk,
                        greatest(least(a.overshoot_bound - u.day_overshoot, a.overshoot_bound - u.month_overshoot), 0));
                    v_unbilled := v_over - v_over_billed;
                end if;
                v_charge := v_commit + v_over_billed;
            end if;
            -- What the blocking budgets of the tunnel's token cannot bill, and what would take a prepaid balance
            -- below the overshoot bound, is unbilled, overshoot first.
            if cardinality(budgets) > 0 then
                v_billable := budgets_billable(book, a.overshoot_bound);
                if v_charge > v_billable then
                    v_cut := v_charge - v_billable;
                    v_over_billed := v_over_billed - least(v_cut, v_over_billed);
                    v_charge := v_billable;
                    v_unbilled := v_unbilled + v_cut;
                end if;
            end if;
            if a.prepaid and v_charge > 0 then
                v_balance := u.balance;
                u := draw_credits(p_account, u, v_charge, a.overshoot_bound, p_request_ids[i]);
                v_cut := v_charge - (v_balance - u.balance);
                v_over_billed := v_over_billed - least(v_cut, v_over_billed);
                v_charge := v_charge - v_cut;
                v_unbilled := v_unbilled + v_cut;
            end if;
            if v_charge > 0 and cardinality(budgets) > 0 then
                spending := budgets_spend(book, v_charge);
                book := spending.book;
                if spending.due then
                    alerted := budgets_alert(p_account, budgets, book);
                    budgets := alerted.budgets;
                    book := alerted.book;
                end if;
            end if;
            u.day_used := sat_add(u.day_used, v_charge);
            u.month_used := sat_add(u.month_used, v_charge);
            if t.closed_at is not null then
                r.late_refused := v_unbilled > 0;
                u.day_ops := sat_add(u.day_ops, v_charge);
            else
                if v_unbilled > 0 and t.capped_on is distinct from (r.decided_at at time zone 'utc')::date then
                    r.capped := true;
                    t.capped_on := (r.decided_at at time zone 'utc')::date;
                end if;
                u.day_leased := u.day_leased - v_commit;
                u.month_leased := u.month_leased - v_commit;
                u.day_ops := sat_add(u.day_ops, p_consumed[i]);
                v_reason := case when not v_token_live then 'revoked' when p_close[i] then 'closed' end;
                if v_reason is not null then
                    v_returned := v_held;
                    u.day_leased := u.day_leased - v_held;
                    u.month_leased := u.month_leased - v_held;
                else
                    v_day_left := a.day_limit::numeric - u.day_used - u.day_leased;
                    v_month_left := a.month_limit::numeric - u.month_used - u.month_leased;
                    if a.bytes_per_7d > 0 and u.bytes_used >= a.bytes_per_7d then
                        r.scope := 'bytes';
                    elsif a.session_seconds_per_24h > 0 and u.session_seconds_used >= a.session_seconds_per_24h then
                        r.scope := 'sessionSeconds';
                    else
                        -- least() passes over the null of a postpaid account, and of no blocking budget. What
                        -- the budgets' scopes hold still counts this tunnel's lease before the commit.
                        v_available := case when a.prepaid then u.balance - u.day_leased end;
                        if cardinality(budgets) > 0 then
                            binding := binding_budget(book);
                            r.budget_remaining := binding.remaining + v_commit;
                        end if;
                        v_granted := greatest(0, least(coalesce(p_want[i], a.lease_chunk), a.lease_chunk,
                                                       v_day_left, v_month_left, v_available, r.budget_remaining));
                        if v_granted = 0 then
                            if least(v_day_left, v_month_left) <= 0 then
                                r.scope := case when v_day_left <= v_month_left then 'day' else 'month' end;
                            end if;
                            r.scope := spent_scope(u, r.scope, a.prepaid);
                            if r.budget_remaining is not null then
                                r.scope := budget_scope(u, r.scope, r.budget_remaining, binding.resets_at);
                                if r.scope = 'budget' then
                                    r.budget_id := binding.budget_id;
                                end if;
                            end if;
                        end if;
                        -- (greatest() would turn the null of no blocking budget into 0)
                        r.budget_remaining := case when r.budget_remaining > v_granted
                                                   then r.budget_remaining - v_granted
                                                   when r.budget_remaining is not null then 0 end;
                    end if;
                    if r.scope is not null then
                        r.outcome := 'quota';
                        v_granted := 0;
                    end if;
                    u.day_leased := u.day_leased + v_granted;
                    u.month_leased := u.month_leased + v_granted;
                    v_held := v_held + v_granted;
                end if;
                if v_reason = 'revoked' then
                    r.outcome := 'closed';
                end if;
                r.close_reason := v_reason;
            end if;

            u.day_overshoot := u.day_overshoot + v_over_billed;
            u.month_overshoot := u.month_overshoot + v_over_billed;
            u.day_unbilled := sat_add(u.day_unbilled, v_unbilled);
            u.month_unbilled := sat_add(u.month_unbilled, v_unbilled);
            u.level := usage_level(u, a.day_limit, a.month_limit);
            if r.previous_level is not null and r.previous_level is distinct from u.level then
                perform notify_level(p_account, r.previous_level, u, a.day_limit, a.month_limit);
            end if;
            if v_reason is not null then
                perform enqueue_event(p_account, 'tunnel.closed', jsonb_build_object('tunnelId', p_tunnels[i],
                    'subdomain', t.subdomain, 'reason', v_reason));
            end if;

            r.held := case when t.closed_at is null and v_reason is null then v_held else 0 end;
            t.held_at_close := case when v_reason is not null then v_returned else t.held_at_close end;
            if v_counted then
                t.consumed := sat_add(t.consumed, p_consumed[i]);
                t.bytes_in := sat_add(t.bytes_in, p_bytes_in[i]);
                t.bytes_out := sat_add(t.bytes_out, p_bytes_out[i]);
            end if;
            t.session_seconds := sat_add(t.session_seconds, v_seconds);
            t.late_consumed := coalesce(v_total, t.late_consumed);
            t.unbilled := sat_add(t.unbilled, v_unbilled);
            if t.closed_at is null then
                if p_consumed[i] > 0 or v_bytes > 0 then
                    t.last_activity_at := r.decided_at;
                end if;
                t.last_seen_at := r.decided_at;
            else
                t.last_seen_at := greatest(t.last_seen_at, t.closed_at);
            end if;
            t.held := r.held;
            t.closed_at := case when v_reason is not null then r.decided_at else t.closed_at end;
            t.close_reason := coalesce(v_reason, t.close_reason);
            t.last_report_key := p_keys[i];
            tunnels[j] := t;
            changed[j] := true;

            r.granted := v_granted;
            r.returned := v_returned;
            r.level := u.level;
            r.day_used := u.day_used;
            r.day_leased := u.day_leased;
            r.day_limit := a.day_limit;
            r.month_used := u.month_used;
            r.month_leased := u.month_leased;
            r.month_limit := a.month_limit;
            r.day_unbilled := u.day_unbilled;
            r.month_unbilled := u.month_unbilled;
            r.unbilled := v_unbilled;
            r.charged := v_charge;
            r.plan := a.plan;
            if r.scope = 'budget' then
                r.resets_at := binding.resets_at;
            elsif r.scope is not null then
                r.resets_at := window_reset(u, r.scope);
            end if;
            -- What the budgets' scopes hold follows the tunnel; the token's day totals add up what was billed.
            if cardinality(budgets) > 0 and r.held <> v_held_before then
                book := budgets_hold(book, r.held - v_held_before);
            end if;
            if v_charge > 0 or v_unbilled > 0 or (v_counted and (p_consumed[i] > 0 or v_bytes > 0 or v_seconds > 0)) then
                v_total_slot := array_position(total_tokens, v_token);
                if v_total_slot is null then
                    total_tokens := total_tokens || v_token;
                    token_totals := token_totals || row(p_account, null, v_token, 0, 0, 0, 0, 0, 0, 0)::token_daily;
                    v_total_slot := cardinality(total_tokens);
                end if;
                token_totals[v_total_slot].credit := sat_add(token_totals[v_total_slot].credit, v_charge);
                token_totals[v_total_slot].unbilled := sat_add(token_totals[v_total_slot].unbilled, v_unbilled);
                if v_counted then
                    token_totals[v_total_slot].op := sat_add(token_totals[v_total_slot].op,
                        case when t.closed_at is null then p_consumed[i] else v_charge end);
                    token_totals[v_total_slot].byte_in := sat_add(token_totals[v_total_slot].byte_in, p_bytes_in[i]);
                    token_totals[v_total_slot].byte_out := sat_add(token_totals[v_total_slot].byte_out,
                                                                   p_bytes_out[i]);
                    token_totals[v_total_slot].session_second := sat_add(token_totals[v_total_slot].session_second,
                                                                         v_seconds);
                end if;
            end if;
            if p_keys[i] is not null then
                r.request_id := p_request_ids[i];
                k := row(p_account, p_keys[i], v_kind, p_tunnels[i], v_fingerprint, to_jsonb(r), now());
                new_keys := new_keys || k;
                known_keys := known_keys || jsonb_build_object(p_keys[i], to_jsonb(k));
            end if;
        end;
        ordinal := i;
        result := r;
        return next;
    end loop;

    if settled then
        if a.prepaid then
            u := balance_alerts(p_account, u);
        end if;
        perform store_usage(u);
        if cardinality(token_totals) > 0 then
            perform add_token_usage(p_account, token_totals);
        end if;
        -- Each tunnel the batch changed, once, by its key (a batch's calls are mostly on a few tunnels).
        for m in 1 .. cardinality(tunnels) loop
            if changed[m] then
                t := tunnels[m];
                update tunnel x set
                    held = t.held, held_at_close = t.held_at_close, consumed = t.consumed, bytes_in = t.bytes_in,
                    bytes_out = t.bytes_out, session_seconds = t.session_seconds, late_consumed = t.late_consumed,
                    last_seen_at = t.last_seen_at, last_activity_at = t.last_activity_at,
                    closed_at = t.closed_at, close_reason = t.close_reason, last_report_key = t.last_report_key,
                    unbilled = t.unbilled, capped_on = t.capped_on
                 where x.account_id = p_account and x.tunnel_id = t.tunnel_id;
            end if;
        end loop;
        if cardinality(new_keys) > 0 then
            insert into idempotency_key select * from unnest(new_keys);
        end if;
    end if;
end $function$;

-- On one PostgreSQL, settle_tunnels plans its statements once per session (force_generic_plan): a custom plan costed
-- for the one tunnel passed always looked cheaper than the generic one, so its gather of the batch's tunnels was
-- planned afresh on every call, and every statement in it (and in the helpers it calls) reads or writes one account
-- by key, so the generic plan is right for all of them. Not on Citus: its planner routes a statement that is more
-- than one table read by its distribution key (the account and plan join, INSERT ... SELECT) only once the
-- parameters are bound, and steers PostgreSQL to a custom plan by cost, which force_generic_plan would override.
do $do$
begin
    if not exists (select 1 from pg_extension where extname = 'citus') then
        alter function settle_tunnels(bigint, uuid[], uuid[], bigint[], bigint[], bigint[], bigint[], boolean[], text[],
                                      text[], bigint)
            set plan_cache_mode = force_generic_plan;
    end if;
end $do$;

-- close_tunnels_locked after taking the credit lock: suspension, revocation, the reapers.
create or replace function close_tunnels(p_account bigint, p_tunnels uuid[], p_token uuid, p_reason text, p_charge_held boolean, p_idle_seconds bigint)
 RETURNS TABLE(tunnel_id uuid, subdomain text, held bigint)
 LANGUAGE plpgsql
AS $function$
begin
    return query select * from close_tunnels_locked(p_account, lock_usage(p_account), p_tunnels, p_token, p_reason,
                                                    p_charge_held, p_idle_seconds);
end $function$;

-- Closes tunnels for a caller that already holds the account's credit lock (u, from lock_usage in this
-- transaction; nothing is done when the account has no usage row): one UPDATE closes the tunnels (each remembering
-- what it held, for its late reports), and their tunnel.closed events are enqueued in one statement rather than one
-- per tunnel; the usage row is written once. What the tunnels held goes back to the pool, or is charged as used when
-- p_charge_held (a stale relay may have spent it: fail closed), token by token: each token's share is billed as far
-- as its blocking budgets and a prepaid balance allow, the rest unbilled.
create or replace function close_tunnels_locked(p_account bigint, u account_usage, p_tunnels uuid[], p_token uuid, p_reason text, p_charge_held boolean, p_idle_seconds bigint)
 RETURNS TABLE(tunnel_id uuid, subdomain text, held bigint)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
declare
    a record;
    v_ids uuid[];
    v_subdomains text[];
    v_held bigint[];
    v_tokens uuid[];
    v_total bigint;
    v_previous text;
    v_balance bigint;
    v_charge bigint;
    budgets budget[] := '{}';
    book budget_book;
    loaded record;
    spending record;
    alerted record;
    totals token_daily[] := '{}';
    share record;
begin
    if u.account_id is null then -- (a row with some null columns is neither "is null" nor "is not null")
        return;
    end if;
    with old as (
        select x.tunnel_id, x.held from tunnel x
         where x.account_id = p_account and x.closed_at is null
           and (p_tunnels is null or x.tunnel_id = any (p_tunnels))
           and (p_token is null or x.token_id = p_token)
           and (p_idle_seconds is null
                or (p_reason = 'stale' and x.last_seen_at < now() - make_interval(secs => p_idle_seconds))
                or (p_reason = 'inactive' and x.last_activity_at < now() - make_interval(secs => p_idle_seconds)))
    ), closed as (
        update tunnel x set closed_at = now(), close_reason = p_reason, held = 0, held_at_close = old.held
          from old
         where x.account_id = p_account and x.tunnel_id = old.tunnel_id
        returning x.tunnel_id as closed_id, x.subdomain as closed_subdomain, x.token_id as closed_token,
                  old.held as was_held
    )
    select array_agg(c.closed_id), array_agg(c.closed_subdomain), array_agg(c.was_held),
           array_agg(c.closed_token), coalesce(sum(c.was_held), 0)
      into v_ids, v_subdomains, v_held, v_tokens, v_total
      from closed c;
    if v_ids is not null then
        perform enqueue_events(p_account, 'tunnel.closed',
            array(select jsonb_build_object('tunnelId', c.id, 'subdomain', c.subdomain, 'reason', p_reason)
                    from unnest(v_ids, v_subdomains) as c(id, subdomain)));
    end if;
    u.day_leased := u.day_leased - v_total;
    u.month_leased := u.month_leased - v_total;
    select x.day_limit, x.month_limit, x.funding = 'prepaid' as prepaid, x.lease_chunk * x.concurrent_max as bound
      into a from account x where x.account_id = p_account;
    if p_charge_held and v_total > 0 then
        if a.prepaid and u.grants_due_at <= now() then
            u := apply_grant_events(p_account, u);
        end if;
        if u.budget_count > 0 then
            loaded := account_budgets(p_account, u);
            budgets := loaded.budgets;
            book := loaded.book;
        end if;
        for share in
            select tunnel_token(x.token) as token, sum(x.held)::bigint as held
              from unnest(v_tokens, v_held) x(token, held) group by 1 order by 1
        loop
            v_charge := share.held;
            if cardinality(budgets) > 0 then
                book := book_for_token(book, budgets, share.token);
                v_charge := least(v_charge, budgets_billable(book, a.bound));
            end if;
            if a.prepaid then
                v_balance := u.balance;
                u := draw_credits(p_account, u, v_charge, a.bound, null);
                v_charge := v_balance - u.balance;
            end if;
            if cardinality(budgets) > 0 then
                spending := budgets_spend(book, v_charge);
                book := spending.book;
                if spending.due then
                    alerted := budgets_alert(p_account, budgets, book);
                    budgets := alerted.budgets;
                    book := alerted.book;
                end if;
            end if;
            u.day_used := sat_add(u.day_used, v_charge);
            u.month_used := sat_add(u.month_used, v_charge);
            u.day_unbilled := sat_add(u.day_unbilled, share.held - v_charge);
            u.month_unbilled := sat_add(u.month_unbilled, share.held - v_charge);
            totals := totals
                || row(p_account, null, share.token, v_charge, 0, 0, 0, 0, 0, share.held - v_charge)::token_daily;
        end loop;
        perform add_token_usage(p_account, totals);
    end if;
    if a.prepaid then
        u := balance_alerts(p_account, u);
    end if;
    v_previous := u.level;
    u.level := usage_level(u, a.day_limit, a.month_limit);
    perform store_usage(u);
    perform notify_level(p_account, v_previous, u, a.day_limit, a.month_limit);
    return query select c.id, c.subdomain, c.held from unnest(v_ids, v_subdomains, v_held) as c(id, subdomain, held);
end $function$;
