-- Operations (contract §13): indexes for retention and the usage export, what each settlement call billed and what
-- each reconciler turn did (for the metrics).
-- Each purge finds what is past its retention through an index that starts with account_id, so it runs per
-- account, which Citus routes to the worker that holds it; the export reads the daily rows a day at a time.
create index tunnel_closed on tunnel (account_id, closed_at) where closed_at is not null;
create index webhook_event_created on webhook_event (account_id, created_at);
create index webhook_attempt_by_event on webhook_attempt (account_id, event_id);
create index webhook_delivery_by_event on webhook_delivery (account_id, event_id);
create index audit_entry_at on audit_entry (account_id, at);
create index usage_daily_by_day on usage_daily (day, account_id);
-- Idempotency records are purged per account too (the global index served one unbounded delete).
create index idempotency_key_by_age on idempotency_key (account_id, created_at);
drop index idempotency_key_created;

-- reconcile_if_free and reconcile_accounts also answer what each account's turn did (R__reconciler.sql creates them
-- again): a function's result type and a procedure's OUT arguments change only by dropping them.
drop procedure if exists reconcile_accounts(bigint[], text[], text[]);
drop function if exists reconcile_if_free(bigint);

-- What the call billed (0 when nothing, null in a result stored before this column): the credits metric counts it,
-- and skips replays, which answer with the first call's result.
alter type settlement add attribute charged bigint;

-- A day an account did nothing in keeps no daily row now (lock_usage); those kept before go too, so that the export
-- and the series read old days and new ones alike.
delete from usage_daily
 where credit = 0 and op = 0 and byte_in = 0 and byte_out = 0 and session_second = 0 and tunnel = 0;
