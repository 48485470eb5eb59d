package dev.sluice.auth;

import java.util.UUID;

/** Who is calling: root, or a service or api token of one account. */
public record Principal(Kind kind, Long accountId, String slug, UUID tokenId) {

    public enum Kind {
        ROOT, SERVICE, API
    }

    /** The legacy {@code TUNNEL_SECRET} caller has no token row; its actor id says so. */
    public static final String TUNNEL_SECRET_ACTOR = "tunnel-secret";

    public static Principal root() {
        return new Principal(Kind.ROOT, null, null, null);
    }

    public boolean isRoot() {
        return kind == Kind.ROOT;
    }

    /** How the audit log names this caller: {@code root}, or the token id. */
    public String actorId() {
        if (isRoot()) {
            return "root";
        }
        return tokenId == null ? TUNNEL_SECRET_ACTOR : tokenId.toString();
    }

    public String actorKind() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
