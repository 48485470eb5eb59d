package dev.sluice.tunnel;

import java.io.Serializable;
import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/**
 * A tunnel row. Its credit fields ({@code held}, counters, closing) change only in the SQL functions that hold the
 * account's credit lock; the entity is used to insert tunnels and to read them.
 */
@Entity
@IdClass(Tunnel.Key.class)
@Table(name = "tunnel")
public class Tunnel extends PanacheEntityBase {

    /** The table's key: the account, then the tunnel within it. */
    public record Key(long accountId, UUID tunnelId) implements Serializable {
    }

    /** Part of the key, so Hibernate never writes it in an UPDATE (Citus refuses to change a distribution column). */
    @Id
    public long accountId;
    @Id
    public UUID tunnelId;
    public UUID tokenId;
    public String subdomain;
    public boolean passwordProtected;
    public String region;
    public Instant createdAt;
    public Instant lastSeenAt;
    public Instant lastActivityAt;
    /** Domains (db/V1__schema.sql): schema validation compares their names, not their base types. */
    @Column(columnDefinition = "leased_credits")
    public long held;
    public long consumed;
    public long unbilled;
    public long bytesIn;
    public long bytesOut;
    public long sessionSeconds;
    public Instant closedAt;
    @Column(columnDefinition = "tunnel_close_reason")
    public String closeReason;
}
