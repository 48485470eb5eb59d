package dev.sluice.worker;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** A worker: active, or quarantined by a downgrade (kept 30 days, restored if the plan rises again). */
@Entity
@Table(name = "worker")
public class Worker extends PanacheEntityBase {

    public static final String ACTIVE = "active";

    @Id
    public UUID workerId;
    public long accountId;
    public String name;
    public String status;
    public Instant createdAt;
    public Instant quarantinedAt;
}
