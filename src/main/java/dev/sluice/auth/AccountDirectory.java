package dev.sluice.auth;

/** What authentication needs to know of accounts (the account package implements it). */
public interface AccountDirectory {

    /** Whether the account with this slug exists and is suspended. */
    boolean isSuspended(String slug);

    /** The api principal the legacy {@code TUNNEL_SECRET} acts as: the internal account's, provisioned on first use. */
    Principal internalPrincipal();
}
