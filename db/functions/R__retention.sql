-- Retention (contract §13): each function deletes at most p_batch rows of one account that are past their
-- retention, in one short transaction, and answers how many it deleted. Rows are taken FOR UPDATE SKIP LOCKED, so a
-- purge never waits for a row the data plane holds (a late report's tunnel, a delivery being sent), and the data
-- plane waits at most for one batch's delete of rows it no longer uses. Each touches one account (p_account), so
-- Citus routes its statements to the worker that holds it. The totals of what is deleted live on in account_usage,
-- usage_daily and token_daily, which no purge touches, nor the prepaid ledger.

-- Closed tunnels that closed before p_closed_before.
create or replace function purge_closed_tunnels(p_account bigint, p_closed_before timestamptz, p_batch int)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
    deleted integer;
begin
    delete from tunnel t
     where t.account_id = p_account
       and t.tunnel_id in (select x.tunnel_id from tunnel x
                            where x.account_id = p_account and x.closed_at < p_closed_before
                            order by x.closed_at limit p_batch
                              for update skip locked);
    get diagnostics deleted = row_count;
    return deleted;
end $function$;

-- Webhook events created before p_created_before none of whose deliveries is pending (each delivered or given up),
-- with their deliveries and attempts. Answers the rows deleted of each table.
create or replace function purge_webhook_events(p_account bigint, p_created_before timestamptz, p_batch int,
    OUT events integer, OUT deliveries integer, OUT attempts integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
    doomed uuid[];
begin
    select coalesce(array_agg(x.event_id), '{}') into doomed
      from (select e.event_id from webhook_event e
             where e.account_id = p_account and e.created_at < p_created_before
               and not exists (select 1 from webhook_delivery d
                                where d.account_id = p_account and d.event_id = e.event_id
                                  and d.status = 'pending')
             order by e.created_at limit p_batch
               for update of e skip locked) x;
    delete from webhook_attempt a where a.account_id = p_account and a.event_id = any (doomed);
    get diagnostics attempts = row_count;
    delete from webhook_delivery d where d.account_id = p_account and d.event_id = any (doomed);
    get diagnostics deliveries = row_count;
    delete from webhook_event e where e.account_id = p_account and e.event_id = any (doomed);
    get diagnostics events = row_count;
end $function$;

-- Releases of names whose cool-off began before p_released_before: they no longer keep the name (claim reads only
-- a release within the cool-off).
create or replace function purge_subdomain_releases(p_account bigint, p_released_before timestamptz, p_batch int)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
    deleted integer;
begin
    delete from subdomain_release r
     where r.account_id = p_account
       and r.name in (select x.name from subdomain_release x
                       where x.account_id = p_account and x.released_at < p_released_before
                       limit p_batch
                         for update skip locked);
    get diagnostics deleted = row_count;
    return deleted;
end $function$;

-- Audit entries recorded before p_before (account 0 holds root's and those naming no account).
create or replace function purge_audit_entries(p_account bigint, p_before timestamptz, p_batch int)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
    deleted integer;
begin
    delete from audit_entry a
     where a.account_id = p_account
       and a.entry_id in (select x.entry_id from audit_entry x
                           where x.account_id = p_account and x.at < p_before
                           order by x.at limit p_batch
                             for update skip locked);
    get diagnostics deleted = row_count;
    return deleted;
end $function$;

-- Idempotency records written before p_created_before (registrations' keys answer for 24 hours; a lease's or close's
-- key stands only for its tunnel's latest report, which a day-old record no longer is).
create or replace function purge_idempotency_keys(p_account bigint, p_created_before timestamptz, p_batch int)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
    deleted integer;
begin
    delete from idempotency_key k
     where k.account_id = p_account
       and k.idem_key in (select x.idem_key from idempotency_key x
                           where x.account_id = p_account and x.created_at < p_created_before
                           order by x.created_at limit p_batch
                             for update skip locked);
    get diagnostics deleted = row_count;
    return deleted;
end $function$;
