package dev.sluice.account;

import java.time.Instant;
import java.util.List;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import dev.sluice.web.SluiceException;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/**
 * An account row; it never leaves the service layer (the API speaks {@link AccountView}). Its fields are private:
 * features read them through accessors and change them through the intention-revealing methods below.
 */
@Entity
@Table(name = "account")
public class Account extends PanacheEntityBase {

    public static final String ACTIVE = "active";
    public static final String SUSPENDED = "suspended";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long accountId;
    private String slug;
    private String name;
    private String email;
    private String status;
    /** {@code root} or {@code service}: who suspended it, so a service token cannot lift a root suspension. */
    private String suspendedBy;
    private String plan;
    /** {@code postpaid} (limits only) or {@code prepaid} (limits and the balance of its grants). */
    private String funding;
    private long dayLimit;
    private long monthLimit;
    private int concurrentMax;
    private long leaseChunk;
    private String stripeCustomerId;
    private String stripeSubscriptionId;
    /** The linked subscription's {@code created} at Stripe: only a later one of the same customer replaces it. */
    private Long stripeSubscriptionCreated;
    /** While set, a failed payment is being tolerated; past it the reconciler drops the account to free. */
    private Instant graceUntil;
    private Instant createdAt;

    /** For Hibernate; a new account starts with {@link #open}. */
    protected Account() {
    }

    /**
     * A new account on {@code planId}, not stored yet: its limits are set next, reserved under the global ceiling,
     * and {@link AccountStore#insert} stores it.
     */
    public static Account open(String slug, String name, String email, String planId) {
        Account account = new Account();
        account.slug = slug;
        account.name = name;
        account.email = email;
        account.plan = planId;
        account.funding = Funding.POSTPAID.wire();
        return account;
    }

    /**
     * Through {@code account_slug}, keyed by the slug: on Citus it is found on one shard, then the account on
     * another, instead of asking every shard of {@code account}.
     */
    public static Account bySlug(String slug) {
        List<?> ids = getEntityManager().createNativeQuery("select account_id from account_slug where slug = :slug")
                .setParameter("slug", slug).getResultList();
        return ids.isEmpty() ? null : findById(((Number) ids.get(0)).longValue());
    }

    /** Stored now: active, created at {@code at}. */
    void markCreated(Instant at) {
        status = ACTIVE;
        createdAt = at;
    }

    // What features may change, by intention; every caller holds the account's row lock (Accounts.lock), or
    // the account is new.

    public void rename(String newName) {
        name = newName;
    }

    public void changeEmail(String newEmail) {
        email = newEmail;
    }

    /** Daily and monthly limits in credits; the caller has reserved the difference under the global ceiling. */
    public void changeLimits(long day, long month) {
        dayLimit = day;
        monthLimit = month;
    }

    /** How many tunnels may be open at once; the caller has closed those over a lower maximum. */
    public void changeConcurrentMax(int max) {
        concurrentMax = max;
    }

    /** How many credits a lease takes when it does not say. */
    public void changeLeaseChunk(long credits) {
        leaseChunk = credits;
    }

    public boolean isActive() {
        return ACTIVE.equals(status);
    }

    /** 403 {@code ACCOUNT_SUSPENDED} unless active: checked before anything that spends or adds to the account. */
    public void requireActive() {
        if (!isActive()) {
            throw SluiceException.accountSuspended();
        }
    }

    /** Suspends; {@code by} is {@code root} or {@code service}. A service token never weakens a root suspension. */
    public void suspend(String by) {
        if (isActive() || "root".equals(by)) {
            status = SUSPENDED;
            suspendedBy = by;
        }
    }

    public void resume() {
        status = ACTIVE;
        suspendedBy = null;
    }

    /** Postpaid or prepaid from the next settlement on; what its tunnels hold stays as it is. */
    public void changeFunding(Funding newFunding) {
        funding = newFunding.wire();
    }

    /** Only the plan-change path calls this: it reconciles the account in the same transaction. */
    public void changePlan(String planId) {
        plan = planId;
    }

    /** Starts tolerating a failed payment until {@code until}, unless a grace period already runs. */
    public boolean startGrace(Instant until) {
        if (graceUntil != null) {
            return false;
        }
        graceUntil = until;
        return true;
    }

    /** Ends a payment grace period; whether one was running. */
    public boolean clearGrace() {
        boolean running = graceUntil != null;
        graceUntil = null;
        return running;
    }

    /** Links (or, with null, unlinks) a Stripe customer; a customer's subscription is linked separately. */
    public void linkStripeCustomer(String customer) {
        stripeCustomerId = customer;
        stripeSubscriptionId = null;
        stripeSubscriptionCreated = null;
    }

    /** Links the customer's subscription that counts, created at Stripe at {@code created} (epoch seconds). */
    public void linkStripeSubscription(String subscription, long created) {
        stripeSubscriptionId = subscription;
        stripeSubscriptionCreated = created;
    }

    // Reads: the fields are private, so the methods above are their only writers.

    public Long accountId() {
        return accountId;
    }

    public String slug() {
        return slug;
    }

    public String name() {
        return name;
    }

    public String email() {
        return email;
    }

    public String status() {
        return status;
    }

    public String suspendedBy() {
        return suspendedBy;
    }

    public String plan() {
        return plan;
    }

    public String funding() {
        return funding;
    }

    public long dayLimit() {
        return dayLimit;
    }

    public long monthLimit() {
        return monthLimit;
    }

    public int concurrentMax() {
        return concurrentMax;
    }

    public long leaseChunk() {
        return leaseChunk;
    }

    public String stripeCustomerId() {
        return stripeCustomerId;
    }

    public String stripeSubscriptionId() {
        return stripeSubscriptionId;
    }

    public Long stripeSubscriptionCreated() {
        return stripeSubscriptionCreated;
    }

    public Instant graceUntil() {
        return graceUntil;
    }

    public Instant createdAt() {
        return createdAt;
    }
}
