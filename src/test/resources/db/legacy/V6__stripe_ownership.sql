-- Sluice schema, version 6: who a Stripe event belongs to (contract §7).

-- The linked subscription's own `created` (Stripe's, epoch seconds): another subscription of the same customer
-- takes over only if it was created later.
alter table account
    add column stripe_subscription_created bigint;

-- Receipt order, the tie-break after `created` when kept events are applied on linking; events stored before
-- this version are numbered by when they were received.
alter table stripe_event add column seq bigint;
update stripe_event e set seq = o.n
  from (select event_id, row_number() over (order by received_at, event_id) as n from stripe_event) o
 where o.event_id = e.event_id;
create sequence stripe_event_seq owned by stripe_event.seq;
select setval('stripe_event_seq', coalesce((select max(seq) from stripe_event), 0) + 1, false);
alter table stripe_event
    alter column seq set default nextval('stripe_event_seq'),
    alter column seq set not null;
-- Events of a customer no account is linked to yet, kept until a link applies them in (created, seq) order.
create index stripe_event_unlinked on stripe_event (customer, created, seq) where outcome = 'unknown_customer';

-- The newest applied event is now tracked per account, subscription and kind (subscription or invoice events),
-- so an invoice event is never judged stale against a subscription event or the other way round. The mark V4
-- kept for both kinds at once seeds both.
alter table stripe_subscription
    add column kind text not null default 'subscription' check (kind in ('subscription', 'invoice')),
    drop constraint stripe_subscription_pkey;
insert into stripe_subscription (subscription_id, account_id, last_event_created, kind)
select subscription_id, account_id, last_event_created, 'invoice' from stripe_subscription;
alter table stripe_subscription
    alter column kind drop default,
    add primary key (account_id, subscription_id, kind);

-- Accounts linked before this version: the subscription's created time from what Stripe sent about it, else the
-- checkout that linked it (Stripe creates the subscription as the session completes).
update account a
   set stripe_subscription_created = coalesce(
       (select min((e.payload #>> '{data,object,created}')::bigint) from stripe_event e
         where e.subscription = a.stripe_subscription_id and e.type like 'customer.subscription.%'
           and e.payload #>> '{data,object,created}' ~ '^[0-9]{1,18}$'),
       (select min(e.created) from stripe_event e
         where e.subscription = a.stripe_subscription_id and e.type = 'checkout.session.completed'))
 where a.stripe_subscription_id is not null;
