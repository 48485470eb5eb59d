package dev.sluice.retention;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;

import dev.sluice.SqlValues;
import dev.sluice.TaggedCounter;
import dev.sluice.audit.AuditLog;
import dev.sluice.billing.StripeRetention;
import dev.sluice.money.SettlementConfig;
import dev.sluice.notify.WebhookRetention;
import dev.sluice.tunnel.IdempotencyKeys;
import dev.sluice.tunnel.TunnelConfig;
import dev.sluice.tunnel.TunnelRetention;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;

/**
 * Every {@code RETENTION_EVERY}: deletes what is past its retention (contract §13), off the data plane. Each table's
 * owner deletes at most {@code RETENTION_BATCH} rows per call, in a short transaction of its own that skips rows
 * anyone holds ({@code SKIP LOCKED}), account by account for the account-scoped tables (one worker's statement on
 * Citus), until nothing is left, {@code RETENTION_PAUSE} between two full batches so that a large purge leaves the
 * database's CPU to the data plane; replicas running it at once split the work. Name claims are looked at a page a
 * round, where the previous round stopped, so a round stays bounded however many names were ever claimed.
 */
@Startup
@ApplicationScoped
public class RetentionJob {

    private static final Logger LOG = Logger.getLogger(RetentionJob.class);
    /** Accounts read per page of candidates. */
    static final int ACCOUNT_PAGE = 500;
    /** Name claims looked at per round. */
    static final int CLAIM_PAGE = 2000;
    /** The account root's audit entries (and those naming no account) are kept under. */
    static final long NO_ACCOUNT = 0;

    /** Rows deleted from each table. */
    public record Purged(Map<RetainedTable, Long> rows) {
        public long of(RetainedTable table) {
            return rows.getOrDefault(table, 0L);
        }
    }

    @Inject
    EntityManager em;
    @Inject
    TunnelRetention tunnels;
    @Inject
    IdempotencyKeys idempotency;
    @Inject
    WebhookRetention webhooks;
    @Inject
    StripeRetention stripe;
    @Inject
    AuditLog audit;

    private final RetentionConfig config;
    private final Duration tunnelRetention;
    private final Duration cooldown;
    private final TaggedCounter purged;
    private volatile String claimsAfter;

    @Inject
    RetentionJob(RetentionConfig config, TunnelConfig tunnelConfig, SettlementConfig settlement,
            MeterRegistry registry) {
        requireNotNegative("TUNNEL_RETENTION", config.tunnelRetention());
        requireNotNegative("WEBHOOK_DELIVERY_RETENTION", config.webhookDeliveryRetention());
        requireNotNegative("STRIPE_EVENT_RETENTION", config.stripeEventRetention());
        requireNotNegative("AUDIT_RETENTION", config.auditRetention().orElse(Duration.ZERO));
        requireNotNegative("RETENTION_PAUSE", config.retentionPause());
        if (config.retentionBatch() < 1) {
            throw new IllegalStateException("RETENTION_BATCH must be 1 or more, got " + config.retentionBatch());
        }
        this.config = config;
        this.cooldown = tunnelConfig.subdomainCooldown();
        // The cool-off reads a name's last close, a late report its tunnel, and a replayed registration answers with
        // its tunnel's id: none may be purged under them.
        this.tunnelRetention = longest(config.tunnelRetention(), cooldown, settlement.tunnelStaleAfter(),
                IdempotencyKeys.REMEMBERED);
        this.purged = new TaggedCounter(registry, "sluice.retention.purged", "Rows deleted past their retention",
                "table", RetainedTable.class);
    }

    private static void requireNotNegative(String setting, Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalStateException(setting + " must not be negative; it is " + duration + ".");
        }
    }

    private static Duration longest(Duration... durations) {
        Duration longest = Duration.ZERO;
        for (Duration d : durations) {
            longest = d.compareTo(longest) > 0 ? d : longest;
        }
        return longest;
    }

    @Scheduled(identity = "retention", every = "${retention-every}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            Purged round = purge();
            if (!round.rows().isEmpty()) {
                LOG.infof("retention purged %s", round.rows());
            }
        } catch (RuntimeException e) {
            LOG.warnf("retention round failed, retrying next round: %s", e.getMessage());
        }
    }

    /** One round; returns the rows it deleted from each table. Cut-offs are the database's clock less a retention. */
    public Purged purge() {
        Duration webhookRetention = config.webhookDeliveryRetention();
        Optional<Duration> auditRetention = config.auditRetention();
        int batch = config.retentionBatch();
        Map<RetainedTable, Long> rows = new EnumMap<>(RetainedTable.class);

        for (List<Long> page = candidates(0); !page.isEmpty();
                page = page.size() < ACCOUNT_PAGE ? List.of() : candidates(page.get(page.size() - 1))) {
            for (long account : page) {
                drain(rows, RetainedTable.TUNNEL, batch, () -> tunnels.purgeClosed(account, tunnelRetention, batch));
                drain(rows, RetainedTable.SUBDOMAIN_RELEASE, batch,
                        () -> tunnels.purgeReleases(account, cooldown, batch));
                drainWebhooks(rows, account, webhookRetention, batch);
                drain(rows, RetainedTable.IDEMPOTENCY_KEY, batch, () -> idempotency.purgeExpired(account, batch));
                auditRetention.ifPresent(keep -> drain(rows, RetainedTable.AUDIT_ENTRY, batch,
                        () -> audit.purge(account, keep, batch)));
            }
        }
        auditRetention.ifPresent(keep -> drain(rows, RetainedTable.AUDIT_ENTRY, batch,
                () -> audit.purge(NO_ACCOUNT, keep, batch)));
        drain(rows, RetainedTable.STRIPE_EVENT, batch, () -> stripe.purge(config.stripeEventRetention(), batch));
        purgeIdleClaims(rows);
        return new Purged(rows);
    }

    /** Calls one purge until it deletes less than a batch, counting what it deleted, pausing after each delete. */
    private void drain(Map<RetainedTable, Long> rows, RetainedTable table, int batch, IntSupplier purge) {
        int deleted;
        do {
            deleted = purge.getAsInt();
            count(rows, table, deleted);
        } while (deleted >= batch && paused());
    }

    private void drainWebhooks(Map<RetainedTable, Long> rows, long account, Duration keep, int batch) {
        WebhookRetention.Purged step;
        do {
            step = webhooks.purgeDone(account, keep, batch);
            count(rows, RetainedTable.WEBHOOK_EVENT, step.events());
            count(rows, RetainedTable.WEBHOOK_DELIVERY, step.deliveries());
            count(rows, RetainedTable.WEBHOOK_ATTEMPT, step.attempts());
        } while (step.events() >= batch && paused());
    }

    /** {@code RETENTION_PAUSE} before the next batch; false when the thread is interrupted (shutting down). */
    private boolean paused() {
        try {
            Thread.sleep(config.retentionPause().toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A page of claims after where the previous round stopped; the next round starts over after the last name. */
    private void purgeIdleClaims(Map<RetainedTable, Long> rows) {
        List<String> names = tunnels.claimedNames(claimsAfter, CLAIM_PAGE);
        for (String name : names) {
            if (tunnels.purgeClaimIfIdle(name)) {
                count(rows, RetainedTable.SUBDOMAIN_CLAIM, 1);
            }
        }
        claimsAfter = names.size() < CLAIM_PAGE ? null : names.get(names.size() - 1);
    }

    private void count(Map<RetainedTable, Long> rows, RetainedTable table, long deleted) {
        if (deleted > 0) {
            rows.merge(table, deleted, Long::sum);
            purged.add(table, deleted);
        }
    }

    /**
     * Accounts after {@code after}, in account order, with something past its retention: one index probe per table
     * and account (each index starts with account_id, so Citus runs the page on every worker at once).
     */
    private List<Long> candidates(long after) {
        @SuppressWarnings("unchecked")
        List<Object> ids = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery("""
                select a.account_id from account a
                 where a.account_id > :after
                   and (exists (select 1 from tunnel t where t.account_id = a.account_id
                                  and t.closed_at < now() - make_interval(secs => :tunnel_keep))
                        or exists (select 1 from webhook_event e where e.account_id = a.account_id
                                     and e.created_at < now() - make_interval(secs => :webhook_keep))
                        or exists (select 1 from subdomain_release r where r.account_id = a.account_id
                                     and r.released_at < now() - make_interval(secs => :release_keep))
                        or exists (select 1 from idempotency_key k where k.account_id = a.account_id
                                     and k.created_at < now() - make_interval(secs => :key_keep))
                        or (cast(:audit as boolean) and exists (select 1 from audit_entry x
                                     where x.account_id = a.account_id
                                       and x.at < now() - make_interval(secs => :audit_keep))))
                 order by a.account_id limit :page""")
                .setParameter("after", after)
                .setParameter("tunnel_keep", seconds(tunnelRetention))
                .setParameter("webhook_keep", seconds(config.webhookDeliveryRetention()))
                .setParameter("release_keep", seconds(cooldown))
                .setParameter("key_keep", seconds(IdempotencyKeys.REMEMBERED))
                .setParameter("audit", config.auditRetention().isPresent())
                .setParameter("audit_keep", config.auditRetention().map(RetentionJob::seconds).orElse(0.0))
                .setParameter("page", ACCOUNT_PAGE).getResultList());
        return ids.stream().map(SqlValues::number).toList();
    }

    private static double seconds(Duration duration) {
        return duration.toSeconds();
    }
}
