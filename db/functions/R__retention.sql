-- Retention (contract §13): each function deletes at most p_batch rows of one account that are past their
-- retention, in one short transaction, and answers how many it deleted. Rows are taken FOR UPDATE SKIP LOCKED, so a
-- purge never waits for a row someone holds, and whoever locks a row being purged waits at most for one batch's
-- delete. What keeps the data plane's rows out of reach is the cut-off, not the lock: tunnels are purged only past
-- the late-report window and the name cool-off (RetentionJob's floor), webhook events only once none of their
-- deliveries is pending. Each touches one account (p_account), so Citus routes its statements to the worker that
-- holds it. The totals of what is deleted live on in account_usage,
-- usage_daily and token_daily, which no purge touches, nor the prepaid ledger.

-- At most p_batch of the account's rows of p_table that are older than p_before, oldest first: closed tunnels,
-- releases, audit entries or idempotency records, each table with the column that dates a row and the key that, with
-- account_id, names one. No other table: anything else is refused.
create or replace function purge_account_rows(p_account bigint, p_table text, p_before timestamptz, p_batch integer)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
    key_column text;
    moment_column text;
    deleted integer;
begin
    case p_table
        when 'tunnel' then key_column := 'tunnel_id'; moment_column := 'closed_at';
        when 'subdomain_release' then key_column := 'name'; moment_column := 'released_at';
        when 'audit_entry' then key_column := 'entry_id'; moment_column := 'at';
        when 'idempotency_key' then key_column := 'idem_key'; moment_column := 'created_at';
        else raise exception 'purge_account_rows: % is not a table retention purges', p_table;
    end case;
    execute format('delete from %1$I d where d.account_id = $1 and d.%2$I in ('
                   'select x.%2$I from %1$I x where x.account_id = $1 and x.%3$I < $2 '
                   'order by x.%3$I limit $3 for update skip locked)', p_table, key_column, moment_column)
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
