package dev.sluice.worker;

import java.io.Serializable;
import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** A worker: active, or quarantined by a downgrade (kept 30 days, restored if the plan rises again). */
@Entity
@IdClass(Worker.Key.class)
@Table(name = "worker")
public class Worker extends PanacheEntityBase {

    /** The table's key: the account, then the worker within it. */
    public record Key(long accountId, UUID workerId) implements Serializable {
    }

    public static final String ACTIVE = "active";

    /** Part of the key, so Hibernate never writes it in an UPDATE (Citus refuses to change a distribution column). */
    @Id
    public long accountId;
    @Id
    public UUID workerId;
    public String name;
    public String status;
    public Instant createdAt;
    public Instant quarantinedAt;
}
