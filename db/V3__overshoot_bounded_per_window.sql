-- Overshoot is bounded per window (contract §5): a counter per account and window, reset with the window, and what a
-- report charged beyond the bound kept as unbilled, per window and per tunnel. The old counter ran for the account's
-- whole life; it becomes the month's, starting at zero. capped_on remembers the UTC day a tunnel's report.capped was
-- last audited (once per tunnel and day). What a closed tunnel's late reports billed is worked out from what they
-- reported (late_consumed), so late_billed goes.
alter table account_usage rename column overshoot to month_overshoot;
update account_usage set month_overshoot = 0;
alter table account_usage
    add column day_overshoot bigint default 0 not null,
    add column day_unbilled bigint default 0 not null,
    add column month_unbilled bigint default 0 not null;
alter table tunnel
    add column unbilled bigint default 0 not null,
    add column capped_on date,
    drop column late_billed;
alter type settlement
    add attribute day_unbilled bigint,
    add attribute month_unbilled bigint,
    add attribute unbilled bigint,
    add attribute capped boolean;
-- Its result gains the unbilled counters; a function's result type cannot be replaced in place, so the old one goes
-- and the repeatable migration creates the new one.
drop function if exists charge_registration(bigint);
