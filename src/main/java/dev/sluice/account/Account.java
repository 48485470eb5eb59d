package dev.sluice.account;

import java.time.Instant;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** An account row; it never leaves the service layer (the API speaks {@link AccountView}). */
@Entity
@Table(name = "account")
public class Account extends PanacheEntityBase {

    public static final String ACTIVE = "active";
    public static final String SUSPENDED = "suspended";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long accountId;
    public String slug;
    public String name;
    public String email;
    public String status;
    /** {@code root} or {@code service}: who suspended it, so a service token cannot lift a root suspension. */
    public String suspendedBy;
    public String plan;
    public long dayLimit;
    public long monthLimit;
    public int concurrentMax;
    public long leaseChunk;
    public String stripeCustomerId;
    public String stripeSubscriptionId;
    /** The linked subscription's {@code created} at Stripe: only a later one of the same customer replaces it. */
    public Long stripeSubscriptionCreated;
    /** While set, a failed payment is being tolerated; past it the reconciler drops the account to free. */
    public Instant graceUntil;
    public Instant createdAt;

    public static Account bySlug(String slug) {
        return find("slug", slug).firstResult();
    }
}
