-- Citus: distributes every table and function not distributed yet, when the citus extension is installed; on plain
-- PostgreSQL it does nothing. Idempotent. Flyway's afterMigrate callback (dev.sluice.schema.SchemaMigration) calls
-- it after every migration, so a table a versioned migration adds and a function a repeatable one creates are
-- distributed before the service serves; an operator calls it by hand after moving an existing database onto Citus.
--   * reference tables (small, read everywhere, rarely written): plan, global_allocation, stripe_event;
--   * keyed by a global name: account_slug (slug) and subdomain_claim (name), colocated with each other;
--   * every other table has account_id and is distributed by it, colocated with account;
--   * Flyway's history tables stay on the coordinator.
-- Foreign keys are dropped while tables move and added back after (Citus checks them only between colocated
-- distributed tables, or towards reference tables). Functions with an account argument run on the worker that holds
-- that account.
create or replace function sluice_distribute()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
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
    -- Replicas starting together each run this after their migrations (Flyway's afterMigrate, outside its own lock):
    -- one at a time, so a later one finds everything distributed instead of foreign keys another is moving.
    perform pg_advisory_xact_lock(hashtext('sluice_distribute'));
    -- Foreign keys towards a reference table (account to plan) can be added back only when every statement of the
    -- transaction went over one connection per node.
    perform set_config('citus.multi_shard_modify_mode', 'sequential', true);
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
         where c.relkind = 'r' and n.nspname = current_schema()
           and c.relname not in ('flyway_schema_history', 'sluice_schema_history')
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
$function$;
