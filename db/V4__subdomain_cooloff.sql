-- A name an account released stays that account's for SUBDOMAIN_COOLDOWN (contract §5). The claim (subdomain_claim,
-- keyed by the name) is decided at claim time from the last holder's own rows, on the holder's shard: when it
-- released the name (this table, written with the release) and when its last tunnel on the name closed (the index
-- below), so no release or close writes a claim.
CREATE TABLE subdomain_release (
    account_id bigint NOT NULL,
    name text NOT NULL,
    released_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY subdomain_release
    ADD CONSTRAINT subdomain_release_pkey PRIMARY KEY (account_id, name);
CREATE INDEX tunnel_by_subdomain ON tunnel USING btree (account_id, subdomain);
ALTER TABLE ONLY subdomain_release
    ADD CONSTRAINT subdomain_release_account_id_fkey FOREIGN KEY (account_id) REFERENCES account(account_id) ON DELETE CASCADE;
