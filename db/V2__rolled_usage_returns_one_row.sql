-- rolled_usage answers the rolled row itself rather than a set of one (db/functions/R__usage_windows.sql), so that
-- lock_usage's locking SELECT reads one table with the roll inlined into its target list: a statement Citus routes to
-- one shard in any plan. A function's result type cannot be replaced in place: the set-returning one goes, and the
-- repeatable migration creates the new one.
drop function if exists rolled_usage(account_usage);
