-- Retention (contract §13): each function deletes at most p_batch rows of one account that are past their
-- retention, in one short transaction, and answers how many it deleted. Rows are taken FOR UPDATE SKIP LOCKED, so a
-- purge never waits for a row the data plane holds (a late report's tunnel, a delivery being sent), and the data
-- plane waits at most for one batch's delete of rows it no longer uses. Each touches one account (p_account), so
-- Citus routes its statements to the worker that holds it. The totals of what is deleted live on in account_usage,
-- usage_daily and token_daily, which no purge touches, nor the prepaid ledger.

-- At most p_batch of the account's rows of p_table whose p_moment column is before p_before, oldest first: the
-- closed tunnels, releases, audit entries and idempotency records each owner purges (p_key, with account_id, keys a
-- row of each). The names come from the owners' code, never from a request.
create or replace function purge_account_rows(p_account bigint, p_table text, p_key text, p_moment text,
    p_before timestamptz, p_batch integer)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
    deleted integer;
begin
    execute format('delete from %1$I d where d.account_id = $1 and d.%2$I in ('
                   'select x.%2$I from %1$I x where x.account_id = $1 and x.%3$I < $2 '
                   'order by x.%3$I limit $3 for update skip locked)', p_table, p_key, p_moment)
      using p_account, p_before, p_batch;
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
