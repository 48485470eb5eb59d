package dev.sluice.auth;

/**
 * Where service and api tokens are kept (the token package implements it), so authentication depends on no
 * feature: it checks the format and the root token itself, and asks the store about the rest.
 */
public interface TokenStore {

    /**
     * What the store knows of a well-formed service or api token, by its SHA-256 ({@link TokenFormat#sha256}).
     * A token that is not found, revoked or expired is remembered for a second, so presenting it again costs no
     * lookup.
     */
    Lookup lookUp(String tokenHash, TokenFormat.Parsed parsed);

    /** A token's state; {@code principal} is the token's for a live one and for a dead api token, else null. */
    record Lookup(State state, Principal principal) {

        public enum State {
            /** Found, live and of the tier its prefix names. */
            LIVE,
            /** Found, but revoked or expired: a dead api token still reports on the tunnels it registered. */
            DEAD,
            /** No such token: what a guess gets. */
            NOT_FOUND
        }

        public static final Lookup NOT_FOUND = new Lookup(State.NOT_FOUND, null);

        public static Lookup live(Principal principal) {
            return new Lookup(State.LIVE, principal);
        }

        public static Lookup dead(Principal apiPrincipal) {
            return new Lookup(State.DEAD, apiPrincipal);
        }
    }
}
