package dev.sluice.token;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/**
 * A service or api token: only its SHA-256 and last four characters are stored. The table's key is
 * (account_id, token_id); token_id alone is unique too, which is what the entity uses as its identity.
 */
@Entity
@Table(name = "api_token")
public class ApiToken extends PanacheEntityBase {

    public static final String API = "api";
    public static final String SERVICE = "service";

    @Id
    public UUID tokenId;
    public long accountId;
    public String kind;
    public String name;
    public String tokenHash;
    public String last4;
    public Instant createdAt;
    public Instant expiresAt;
    public Instant revokedAt;
    public Instant lastUsedAt;

    boolean isLive(Instant now) {
        return isLive(revokedAt, expiresAt, now);
    }

    static boolean isLive(Instant revokedAt, Instant expiresAt, Instant now) {
        return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }
}
