-- The same schema on plain PostgreSQL and, sharded by account, on Citus (README "Scaling past one machine").
-- Every account-scoped key and unique constraint includes account_id; names that must be unique across accounts
-- (slugs, subdomains) are claimed in tables keyed by the name itself, which Citus distributes by that name;
-- no foreign key Citus refuses; sluice_distribute() distributes whatever is not distributed yet.

-- Identity columns become plain sequence defaults, which Citus distributes (distributing account with its identity
-- column is one of the steps that failed when this was first tried).
alter table account alter column account_id drop identity;
create sequence account_id_seq owned by account.account_id;
select setval('account_id_seq', coalesce((select max(account_id) from account), 0) + 1, false);
alter table account alter column account_id set default nextval('account_id_seq');

alter table audit_entry alter column entry_id drop identity;
create sequence audit_entry_id_seq owned by audit_entry.entry_id;
select setval('audit_entry_id_seq', coalesce((select max(entry_id) from audit_entry), 0) + 1, false);
alter table audit_entry alter column entry_id set default nextval('audit_entry_id_seq');

alter table webhook_attempt alter column attempt_id drop identity;
create sequence webhook_attempt_id_seq owned by webhook_attempt.attempt_id;
select setval('webhook_attempt_id_seq', coalesce((select max(attempt_id) from webhook_attempt), 0) + 1, false);
alter table webhook_attempt alter column attempt_id set default nextval('webhook_attempt_id_seq');

-- Slugs: one row per slug, keyed by the slug (so, on Citus, found on one shard without knowing the account).
-- Written with the account, never changed (slugs are immutable).
create table account_slug (
    slug text primary key,
    account_id bigint not null
);
insert into account_slug (slug, account_id) select slug, account_id from account;
alter table account drop constraint account_slug_key;

-- A Stripe customer links at most one account: every path that links one (account creation, root's re-link,
-- a checkout) checks it under the customer's advisory lock (billing.StripeLinks.lockCustomer).
alter table account drop constraint account_stripe_customer_id_key;
create index account_by_stripe_customer on account (stripe_customer_id) where stripe_customer_id is not null;

-- Token hashes are unique per account; a token names its account's slug, so the lookup knows the account.
alter table api_token drop constraint api_token_token_hash_key;
drop index api_token_id;
alter table api_token add constraint api_token_hash_key unique (account_id, token_hash);

-- Subdomains: a hostname is claimed by one account at a time, by one insert into subdomain_claim (keyed by the
-- name) inside the reserving or registering transaction. A claim outlives its use; the next account to want the
-- name takes it over once its holder neither reserves it nor has it open (tunnel.SubdomainClaims).
create table subdomain_claim (
    name text primary key,
    holder_account_id bigint not null
);
-- Open tunnels first: should older data hold a name reserved by one account and open by another, the account
-- whose tunnel serves it keeps it (and the reservation no longer opens a second tunnel on it).
insert into subdomain_claim (name, holder_account_id)
    select distinct subdomain, account_id from tunnel where closed_at is null
    on conflict do nothing;
insert into subdomain_claim (name, holder_account_id)
    select name, account_id from reserved_subdomain
    on conflict do nothing;
alter table reserved_subdomain drop constraint reserved_subdomain_name_key;
drop index tunnel_open_subdomain;
create index tunnel_open_by_subdomain on tunnel (account_id, subdomain) where closed_at is null;

-- A membership names its member account by id; Citus refuses a foreign key on a column other than the
-- distribution column, and accounts are never deleted.
alter table account_member drop constraint account_member_member_account_id_fkey;
create index account_member_by_member on account_member (member_account_id);

-- An audited mutation is written beside its account (0: no account, such as a refused request naming none).
alter table audit_entry add column account_id bigint;
update audit_entry e set account_id = coalesce((select a.account_id from account a where a.slug = e.account_slug), 0);
alter table audit_entry alter column account_id set not null;
alter table audit_entry drop constraint audit_entry_pkey;
alter table audit_entry add primary key (account_id, entry_id);
create index audit_entry_newest on audit_entry (entry_id);

-- The reconciler's selections (V9) in PL/pgSQL: Citus cannot plan a parameterised SQL-language function over a
-- distributed table (called inside reconcile_account, it
-- silently found nothing: a downgrade released no subdomain).
create or replace function excess_tunnels(p_account bigint, p_cap integer) returns table (tunnel_id uuid)
language plpgsql stable as $$
begin
    return query
    select r.tunnel_id from (
        select x.tunnel_id, x.created_at,
               row_number() over (order by x.created_at desc, x.tunnel_id desc) as keep_rank
          from tunnel x where x.account_id = p_account and x.closed_at is null
    ) r where r.keep_rank > p_cap order by r.created_at, r.tunnel_id;
end;
$$;

create or replace function excess_subdomains(p_account bigint, p_cap integer) returns table (name text)
language plpgsql stable as $$
begin
    return query
    select r.name from (
        select s.name, s.reserved_at, row_number() over (order by s.reserved_at, s.name) as keep_rank
          from reserved_subdomain s where s.account_id = p_account
    ) r where r.keep_rank > p_cap order by r.reserved_at desc, r.name desc;
end;
$$;

create or replace function excess_workers(p_account bigint, p_cap integer) returns table (worker_id uuid)
language plpgsql stable as $$
begin
    return query
    select r.worker_id from (
        select w.worker_id, w.created_at, row_number() over (order by w.created_at desc, w.worker_id desc) as keep_rank
          from worker w where w.account_id = p_account and w.status = 'active'
    ) r where r.keep_rank > p_cap order by r.created_at, r.worker_id;
end;
$$;

-- Two functions need one change each to run on Citus. They are patched in place rather than restated, so V8 and V9
-- stay the one place that explains them; a patch whose text is not found stops the migration.
create function sluice_patch_function(p_function regprocedure, p_from text, p_to text) returns void
language plpgsql as $$
declare
    definition text := pg_get_functiondef(p_function);
begin
    if position(p_from in definition) = 0 then
        raise exception '% does not contain: %', p_function, p_from;
    end if;
    execute replace(definition, p_from, p_to);
end;
$$;

-- On Citus a statement runs on the shard, where a bare whole-row reference to a table has the shard's row type:
-- settle_tunnels gathers its batch's tunnels as the table's own row type instead.
select sluice_patch_function(
    'settle_tunnels(bigint,uuid[],uuid[],bigint[],bigint[],bigint[],bigint[],boolean[],text[],text[],bigint)',
    'array_agg(x order by x.tunnel_id)', 'array_agg(row(x.*)::tunnel order by x.tunnel_id)');

-- On Citus an UPDATE is sent whole to its shard, where a function that queries a distributed table cannot run:
-- reconcile_account selects the excess workers into an array before quarantining them.
select sluice_patch_function('reconcile_account(bigint,integer,integer,integer)',
    E'    v_quarantined bigint;\nbegin', E'    v_quarantined bigint;\n    v_excess_workers uuid[];\nbegin');
select sluice_patch_function('reconcile_account(bigint,integer,integer,integer)',
    E'    if v_active > p_worker_cap then\n',
    E'    if v_active > p_worker_cap then\n'
     '        v_excess_workers := array(select e.worker_id from excess_workers(p_account, p_worker_cap) e);\n');
select sluice_patch_function('reconcile_account(bigint,integer,integer,integer)',
    'and w.worker_id in (select e.worker_id from excess_workers(p_account, p_worker_cap) e);',
    'and w.worker_id = any (v_excess_workers);');

drop function sluice_patch_function(regprocedure, text, text);

-- Distributes every table and function not distributed yet, when the citus extension is installed; on plain
-- PostgreSQL it does nothing. Idempotent: a later migration that adds a table calls it again, and an operator
-- calls it by hand after moving an existing database onto Citus.
--   * reference tables (small, read everywhere, rarely written): plan, global_allocation, stripe_event;
--   * keyed by a global name: account_slug (slug) and subdomain_claim (name), colocated with each other;
--   * every other table has account_id and is distributed by it, colocated with account.
-- Foreign keys are dropped while tables move and added back after (Citus checks them only between colocated
-- distributed tables, or towards reference tables).
create function sluice_distribute() returns void
language plpgsql as $$
declare
    fk record;
    t record;
    f record;
    defs text[] := '{}';
    i int;
begin
    if not exists (select 1 from pg_extension where extname = 'citus') then
        return;
    end if;
    for fk in
        select c.conrelid::regclass::text as tbl, c.conname, pg_get_constraintdef(c.oid) as def
          from pg_constraint c join pg_namespace n on n.oid = c.connamespace
         where c.contype = 'f' and n.nspname = current_schema()
           and not exists (select 1 from pg_dist_partition p where p.logicalrelid = c.conrelid)
    loop
        defs := defs || ('alter table ' || fk.tbl || ' add constraint ' || quote_ident(fk.conname) || ' ' || fk.def);
        execute 'alter table ' || fk.tbl || ' drop constraint ' || quote_ident(fk.conname);
    end loop;

    for t in
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind = 'r' and n.nspname = current_schema() and c.relname <> 'flyway_schema_history'
           and not exists (select 1 from pg_dist_partition p where p.logicalrelid = c.oid)
           and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                                                      and d.deptype = 'e')
         order by c.relname <> 'account', c.relname
    loop
        if t.relname in ('plan', 'global_allocation', 'stripe_event') then
            perform create_reference_table(t.relname::regclass);
        elsif t.relname = 'account_slug' then
            perform create_distributed_table('account_slug', 'slug', colocate_with => 'none');
        elsif t.relname = 'subdomain_claim' then
            perform create_distributed_table('subdomain_claim', 'name', colocate_with => 'account_slug');
        elsif t.relname = 'account' then
            perform create_distributed_table('account', 'account_id', colocate_with => 'none');
        else
            perform create_distributed_table(t.relname::regclass, 'account_id', colocate_with => 'account');
        end if;
    end loop;

    for i in 1 .. coalesce(array_length(defs, 1), 0) loop
        execute defs[i];
    end loop;

    -- Functions with an account argument run on the worker that holds that account; the rest (pure helpers)
    -- are only copied to every node. Tables and functions an extension installed (pg_stat_statements, say) are
    -- the extension's business.
    for f in
        select p.oid::regprocedure::text as signature, 'p_account' = any (p.proargnames) as by_account
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = current_schema() and p.prokind = 'f' and p.proname <> 'sluice_distribute'
           and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                                                      and d.deptype = 'e')
           -- Citus copies a function created while it is installed to every node by itself, without its account
           -- argument: such a function is distributed again, by that argument.
           and not exists (select 1 from pg_dist_object o
                            where o.classid = 'pg_proc'::regclass and o.objid = p.oid
                              and (o.distribution_argument_index is not null
                                   or not ('p_account' = any (p.proargnames))))
    loop
        if f.by_account then
            perform create_distributed_function(f.signature::regprocedure, 'p_account', colocate_with => 'account');
        else
            perform create_distributed_function(f.signature::regprocedure);
        end if;
    end loop;
end;
$$;

select sluice_distribute();
