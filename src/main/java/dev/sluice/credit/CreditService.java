package dev.sluice.credit;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.hibernate.query.NativeQuery;

import dev.sluice.SqlValues;
import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditTrail;
import dev.sluice.limit.Credits;
import dev.sluice.web.ErrorCode;
import dev.sluice.web.Pages;
import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;

/**
 * Grants, the ledger and the balance alert (contract §11). Every change is one call of a function of
 * {@code db/functions/R__prepaid_credit.sql}, which takes the account's credit lock itself, so a grant, a void and
 * a settlement of the same account are serialised on that lock whatever the number of replicas.
 */
@ApplicationScoped
public class CreditService {

    /** The most one grant may hold (contract §11). */
    public static final long MAX_CREDITS = 1_000_000_000_000_000L;
    static final int DEFAULT_PRIORITY = 50;
    static final int MAX_USD_DECIMALS = 6;
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    /** A grant request with its defaults filled in: what an Idempotency-Key's retry must repeat. */
    record Normalized(long credits, String category, int priority, Instant effectiveAt, Instant expiresAt,
            String note) {
    }

    /** A grant and whether it is the first answer to an Idempotency-Key, given again. */
    public record Added(CreditViews.Grant grant, boolean replayed) {
    }

    @Inject
    EntityManager em;
    @Inject
    Credits credits;
    @Inject
    AuditTrail audit;
    @Inject
    ObjectMapper json;

    @Transactional
    public Added add(String slug, CreditViews.GrantRequest request, String idempotencyKey) {
        Account account = Accounts.require(slug);
        Normalized grant = normalize(request);
        Tuple added = addGrant(account.accountId(), grant, GrantSource.ROOT, idempotencyKey, fingerprint(grant),
                null, null);
        GrantOutcome outcome = GrantOutcome.of(added.get("outcome", String.class));
        if (outcome == GrantOutcome.CONFLICT) {
            throw SluiceException.idempotencyConflict("This Idempotency-Key was used for another grant.");
        }
        CreditViews.Grant view = find(account.accountId(), added.get("grant_id", UUID.class));
        if (outcome == GrantOutcome.CREATED) {
            audit.succeeded(slug, "grant:" + view.id(), "credits=" + view.credits() + " category=" + view.category());
        }
        return new Added(view, outcome == GrantOutcome.REPLAYED);
    }

    /**
     * A paid grant for a Stripe invoice, once per invoice however often its event comes ({@code replayed} the
     * second time). In the caller's transaction (the Stripe event's), which holds the account's row lock.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Added addForInvoice(Account account, String invoiceId, long credits, Instant expiresAt, long amountPaid) {
        Normalized grant = new Normalized(credits, GrantCategory.PAID.wire(), DEFAULT_PRIORITY, null, expiresAt,
                "Stripe invoice " + invoiceId);
        Tuple added = addGrant(account.accountId(), grant, GrantSource.STRIPE, null, null, invoiceId, amountPaid);
        GrantOutcome outcome = GrantOutcome.of(added.get("outcome", String.class));
        CreditViews.Grant view = find(account.accountId(), added.get("grant_id", UUID.class));
        return new Added(view, outcome == GrantOutcome.REPLAYED);
    }

    /**
     * For a Stripe credit note of {@code amount} (in the invoice's currency's minor unit): voids that share of what
     * the invoice paid from what its grant still holds (all of it when the invoice paid nothing, or the note is for
     * more); false when the invoice has no grant or the grant has ended.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public boolean voidForCreditNote(Account account, String invoiceId, long amount) {
        @SuppressWarnings("unchecked")
        List<Tuple> grants = em.createNativeQuery("select grant_id, stripe_amount_paid from credit_grant "
                + "where account_id = :account and stripe_invoice_id = :invoice", Tuple.class)
                .setParameter("account", account.accountId()).setParameter("invoice", invoiceId).getResultList();
        if (grants.isEmpty()) {
            return false;
        }
        long paid = SqlValues.number(grants.get(0).get("stripe_amount_paid"));
        BigDecimal share = paid <= 0 || amount >= paid ? BigDecimal.ONE
                : BigDecimal.valueOf(amount).divide(BigDecimal.valueOf(paid), 18, RoundingMode.DOWN);
        return voidGrant(account.accountId(), grants.get(0).get("grant_id", UUID.class), share) == GrantOutcome.OK;
    }

    /** The account's grants, oldest first: those not ended yet ({@code active}, the default) or {@code all}. */
    public CreditViews.GrantList list(String slug, String status) {
        boolean all = isSecond("status", status, "active", "all");
        Account account = Accounts.require(slug);
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("select * from credit_grant where account_id = :account "
                + "and (:all or state in ('pending', 'active')) order by created_at, grant_id", Tuple.class)
                .setParameter("account", account.accountId()).setParameter("all", all).getResultList();
        return new CreditViews.GrantList(rows.stream().map(CreditService::grant).toList());
    }

    @Transactional
    public CreditViews.Voided voidGrant(String slug, String grantId) {
        Account account = Accounts.require(slug);
        UUID id = grantId(grantId);
        switch (voidGrant(account.accountId(), id, null)) {
            case NOT_FOUND -> throw SluiceException.notFound("No such grant.");
            case VOIDED -> throw new SluiceException(409, ErrorCode.GRANT_VOIDED,
                    "The grant has already been voided or has expired.");
            default -> {
            }
        }
        CreditViews.Grant grant = find(account.accountId(), id);
        audit.succeeded(slug, "grant:" + id, "voided");
        return new CreditViews.Voided(grant);
    }

    /** The ledger, newest first unless {@code order} is {@code asc}; the cursor resumes after the last entry. */
    public CreditViews.Page ledger(String slug, Integer limit, String cursor, String order) {
        boolean ascending = isSecond("order", order, "desc", "asc");
        int size = Pages.size(limit, DEFAULT_PAGE, MAX_PAGE);
        long after = cursor == null ? (ascending ? 0 : Long.MAX_VALUE) : Pages.key(cursor);
        Account account = Accounts.require(slug);
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("select * from credit_ledger where account_id = :account and "
                + (ascending ? "seq > :after order by seq" : "seq < :after order by seq desc") + " limit :size",
                Tuple.class).setParameter("account", account.accountId()).setParameter("after", after)
                .setParameter("size", size + 1).getResultList();
        List<CreditViews.Entry> entries = rows.stream().limit(size).map(r -> new CreditViews.Entry(
                SqlValues.number(r.get("seq")), SqlValues.instant(r.get("at")), r.get("kind", String.class),
                r.get("grant_id", UUID.class), SqlValues.number(r.get("credits")),
                SqlValues.number(r.get("balance")), r.get("request_id", String.class))).toList();
        String next = rows.size() > size ? Pages.cursor(entries.get(size - 1).seq()) : null;
        return new CreditViews.Page(entries, next);
    }

    public CreditViews.BalanceAlert balanceAlert(String slug) {
        Account account = Accounts.require(slug);
        Object below = em.createNativeQuery("select balance_alert_below from account_usage where account_id = :account")
                .setParameter("account", account.accountId()).getSingleResult();
        return alert(below == null ? null : SqlValues.number(below));
    }

    @Transactional
    public CreditViews.BalanceAlert setBalanceAlert(String slug, CreditViews.BalanceAlertRequest request) {
        Long below;
        if (request.belowCredits() != null && request.belowUsd() != null) {
            throw SluiceException.validation("belowUsd", "Give 'belowCredits' or 'belowUsd', not both.");
        } else if (request.belowUsd() != null) {
            below = credits.fromUsd(request.belowUsd(), "belowUsd");
        } else {
            below = request.belowCredits();
        }
        if (below != null && (below < 0 || below > MAX_CREDITS)) {
            throw SluiceException.validation("belowCredits", "'belowCredits' must be between 0 and " + MAX_CREDITS
                    + ".");
        }
        Account account = Accounts.require(slug);
        typed("select 1 from set_balance_alert(:account, :below)", Integer.class)
                .setParameter("account", account.accountId()).setParameter("below", below, Long.class)
                .getSingleResult();
        audit.succeeded(slug, "balance-alert", "belowCredits=" + below);
        return alert(below);
    }

    private CreditViews.BalanceAlert alert(Long below) {
        return new CreditViews.BalanceAlert(below, below == null ? null : credits.toUsd(below));
    }

    private Tuple addGrant(long accountId, Normalized grant, GrantSource source, String key, String fingerprint,
            String invoiceId, Long amountPaid) {
        Tuple added = (Tuple) typed("select * from add_grant(:account, :credits, :category, :priority, :effective, "
                + ":expires, :note, :source, :key, :fingerprint, :invoice, :paid)", Tuple.class)
                .setParameter("account", accountId).setParameter("credits", grant.credits())
                .setParameter("category", grant.category()).setParameter("priority", grant.priority())
                .setParameter("effective", grant.effectiveAt(), Instant.class)
                .setParameter("expires", grant.expiresAt(), Instant.class)
                .setParameter("note", grant.note(), String.class).setParameter("source", source.wire())
                .setParameter("key", key, String.class).setParameter("fingerprint", fingerprint, String.class)
                .setParameter("invoice", invoiceId, String.class).setParameter("paid", amountPaid, Long.class)
                .getSingleResult();
        if (GrantOutcome.of(added.get("outcome", String.class)) == GrantOutcome.NOT_FOUND) {
            throw SluiceException.notFound("No such account.");
        }
        return added;
    }

    /** A parameter of two values, the first its default: whether it is the second; another value is 400. */
    private static boolean isSecond(String parameter, String value, String first, String second) {
        if (value == null || first.equals(value)) {
            return false;
        } else if (second.equals(value)) {
            return true;
        }
        throw SluiceException.validation(parameter, "'" + parameter + "' must be \"" + first + "\" or \"" + second
                + "\".");
    }

    /** A native query whose parameters may be bound as typed nulls. */
    private NativeQuery<?> typed(String sql, Class<?> result) {
        return em.createNativeQuery(sql, result).unwrap(NativeQuery.class);
    }

    private GrantOutcome voidGrant(long accountId, UUID grantId, BigDecimal share) {
        return GrantOutcome.of((String) typed("select outcome from void_grant(:account, :grant, :share, :request)", String.class)
                .setParameter("account", accountId).setParameter("grant", grantId)
                .setParameter("share", share, BigDecimal.class)
                .setParameter("request", RequestIds.current(), String.class).getSingleResult());
    }

    private CreditViews.Grant find(long accountId, UUID grantId) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("select * from credit_grant where account_id = :account "
                + "and grant_id = :grant", Tuple.class).setParameter("account", accountId)
                .setParameter("grant", grantId).getResultList();
        if (rows.isEmpty()) {
            throw SluiceException.notFound("No such grant.");
        }
        return grant(rows.get(0));
    }

    private static CreditViews.Grant grant(Tuple r) {
        return new CreditViews.Grant(r.get("grant_id", UUID.class), SqlValues.number(r.get("credits")),
                SqlValues.number(r.get("remaining")), r.get("category", String.class),
                (int) SqlValues.number(r.get("priority")), SqlValues.instant(r.get("effective_at")),
                SqlValues.instant(r.get("expires_at")), SqlValues.instant(r.get("voided_at")),
                r.get("source", String.class), r.get("note", String.class), SqlValues.instant(r.get("created_at")));
    }

    private Normalized normalize(CreditViews.GrantRequest request) {
        if (request.credits() != null && request.usd() != null) {
            throw SluiceException.validation("usd", "Give 'credits' or 'usd', not both.");
        }
        long amount;
        if (request.usd() != null) {
            if (request.usd().stripTrailingZeros().scale() > MAX_USD_DECIMALS) {
                throw SluiceException.validation("usd", "'usd' has at most " + MAX_USD_DECIMALS + " decimals.");
            }
            amount = credits.fromUsd(request.usd(), "usd");
        } else if (request.credits() != null) {
            amount = request.credits();
        } else {
            throw SluiceException.validation("credits", "A grant needs 'credits' or 'usd'.");
        }
        if (amount < 1 || amount > MAX_CREDITS) {
            String field = request.usd() != null ? "usd" : "credits";
            throw SluiceException.validation(field, "A grant is between 1 and " + MAX_CREDITS + " credits.");
        }
        GrantCategory category = GrantCategory.of(request.category());
        int priority = request.priority() == null ? DEFAULT_PRIORITY : request.priority();
        if (priority < 0 || priority > 100) {
            throw SluiceException.validation("priority", "'priority' must be between 0 and 100.");
        }
        Instant effective = request.effectiveAt() == null ? UtcNow.get() : request.effectiveAt();
        if (request.expiresAt() != null && !request.expiresAt().isAfter(effective)) {
            throw SluiceException.validation("expiresAt", "'expiresAt' must be after 'effectiveAt' (or now).");
        }
        return new Normalized(amount, category.wire(), priority, request.effectiveAt(), request.expiresAt(),
                request.note());
    }

    private String fingerprint(Normalized grant) {
        try {
            return json.writeValueAsString(grant);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static UUID grantId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw SluiceException.notFound("No such grant.");
        }
    }
}
