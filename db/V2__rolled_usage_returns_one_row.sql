-- rolled_usage answers the rolled row itself rather than a set of one (db/functions/R__usage_windows.sql), so
-- lock_usage applies it as a simple expression after a single-table locking SELECT. A function's result type cannot
-- be replaced in place: the set-returning one goes, and the repeatable migration creates the new one.
drop function if exists rolled_usage(account_usage);
