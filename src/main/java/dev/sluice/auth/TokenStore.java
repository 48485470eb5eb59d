package dev.sluice.auth;

import java.util.Optional;

/**
 * Where service and api tokens are kept (the token package implements it), so authentication depends on no
 * feature: it checks the format and the root token itself, and asks the store about the rest.
 */
public interface TokenStore {

    /** The principal of a live, well-formed service or api token; empty if unknown, revoked or expired. */
    Optional<Principal> authenticate(String token, TokenFormat.Parsed parsed);

    /**
     * A revoked or expired api token, which still authenticates the reports of the tunnels it registered (the
     * settlement checks the tunnel is its own); empty for anything else.
     */
    Optional<Principal> authenticateDeadApiToken(String token, TokenFormat.Parsed parsed);
}
