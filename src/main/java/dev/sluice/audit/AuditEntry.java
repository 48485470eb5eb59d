package dev.sluice.audit;

import java.time.Instant;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** One line of the audit log: who did what to which account, and how it ended. */
@Entity
@Table(name = "audit_entry")
public class AuditEntry extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long entryId;
    /** The account the entry is about (0 for none), so the entry is written on that account's node. */
    public long accountId;
    public Instant at;
    public String actorKind;
    public String actorId;
    public String action;
    public String accountSlug;
    public String target;
    public String outcome;
    public String requestId;
    public String detail;
}
