-- Webhook events raised inside the transaction that caused them (the durable outbox): an event, and one delivery
-- per endpoint of the account that wants its type, are written together, so a crash or restart loses nothing.

-- One event for one account.
create or replace function enqueue_event(p_account bigint, p_type text, p_data jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    perform enqueue_events(p_account, p_type, array[p_data]);
end $function$;

-- Events of one type for one account, one per element of p_data, in one statement each for events and deliveries
-- (nothing is written when no endpoint of the account wants the type).
create or replace function enqueue_events(p_account bigint, p_type text, p_data jsonb[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    with wanted as (
        select w.endpoint_id from webhook_endpoint w where w.account_id = p_account and p_type = any (w.events)
    ), event as (
        insert into webhook_event (account_id, event_id, type, data)
        select p_account, gen_random_uuid(), p_type, d.data from unnest(p_data) as d(data)
         where exists (select 1 from wanted)
        returning event_id
    )
    insert into webhook_delivery (account_id, endpoint_id, event_id)
    select p_account, wanted.endpoint_id, event.event_id from wanted, event;
end $function$;

-- One event per change of level, never one per request: called after a usage row is stored, it fires only when
-- the stored level differs from the one before (p_previous null: not known, nothing sent).
create or replace function notify_level(p_account bigint, p_previous text, u account_usage, p_day_limit bigint, p_month_limit bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
    if p_previous is null or p_previous = u.level then
        return;
    end if;
    perform enqueue_event(p_account,
        case
            when u.level = 'exceeded' then 'quota.exceeded'
            when u.level = 'warn' and p_previous = 'ok' then 'quota.warning_80pct'
            else 'quota.recovered'
        end,
        jsonb_build_object('level', u.level, 'previousLevel', p_previous,
            'day', jsonb_build_object('used', u.day_used, 'leased', u.day_leased, 'limit', p_day_limit),
            'month', jsonb_build_object('used', u.month_used, 'leased', u.month_leased, 'limit', p_month_limit)));
end $function$;
