package dev.sluice.token;

import java.io.Serializable;
import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/**
 * A service or api token: only its SHA-256 and last four characters are stored. Its key is (account_id,
 * token_id), the table's.
 */
@Entity
@IdClass(ApiToken.Key.class)
@Table(name = "api_token")
public class ApiToken extends PanacheEntityBase {

    /** The table's key: the account, then the token within it. */
    public record Key(long accountId, UUID tokenId) implements Serializable {
    }

    public static final String API = "api";
    public static final String SERVICE = "service";

    /** Part of the key, so Hibernate never writes it in an UPDATE (Citus refuses to change a distribution column). */
    @Id
    public long accountId;
    @Id
    public UUID tokenId;
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
