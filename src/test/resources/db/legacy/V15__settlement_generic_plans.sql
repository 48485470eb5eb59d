-- Sluice schema, version 15: settle_tunnels keeps its statements' generic plans. Measured (docs/decisions):
-- its gather of the batch's tunnels (tunnel_id = any (p_tunnels)) was planned again on every call, 57 µs of
-- planning for 13 µs of execution, because PostgreSQL's plan cache compares the generic plan, costed for an array of
-- unknown length, with custom plans costed for the one or few tunnels actually passed, finds the custom ones cheaper
-- and never settles on the generic plan. Every statement of the function reads or writes one account by its key, so
-- the generic plan is the right one for all of them. A one-lease call takes 11-13 % less time from one session.
alter function settle_tunnels(bigint, uuid[], uuid[], bigint[], bigint[], bigint[], bigint[], boolean[], text[],
                              text[], bigint)
    set plan_cache_mode = force_generic_plan;

select sluice_distribute();
