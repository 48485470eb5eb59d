package dev.sluice.budget;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.hibernate.query.NativeQuery;

import dev.sluice.SqlValues;
import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditTrail;
import dev.sluice.limit.Credits;
import dev.sluice.token.TokenAttribution;
import dev.sluice.token.TokenRolled;
import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

/**
 * Budgets and their alert thresholds (contract §12). Every change is one call of a function of
 * {@code db/functions/R__budgets.sql} that takes the account's credit lock first, so it is serialised with the
 * settlements, which hold the account's budgets in memory while they bill and write them back under that lock.
 */
@ApplicationScoped
public class BudgetService {

    /** The most budgets one account may have (contract §12). */
    static final int MAX_BUDGETS = 50;
    /** The most one budget may allow, as for a grant. */
    static final long MAX_CREDITS = 1_000_000_000_000_000L;
    static final int MAX_USD_DECIMALS = 6;
    /** Thresholds of a budget created without any: the account levels' 80 % and 100 %. */
    static final List<BudgetViews.ThresholdRequest> DEFAULT_THRESHOLDS = List.of(
            new BudgetViews.ThresholdRequest(80, null), new BudgetViews.ThresholdRequest(100, null));
    /** The account's budgets with what each has spent in its window, oldest first. */
    private static final String VIEWS = "select * from budget_views(:account) x";

    @Inject
    EntityManager em;
    @Inject
    Credits credits;
    @Inject
    AuditTrail audit;
    @Inject
    ObjectMapper json;

    @Transactional
    public BudgetViews.Budget create(String slug, BudgetViews.BudgetRequest request) {
        Account account = Accounts.require(slug);
        BudgetWindow window = BudgetWindow.of(request.window());
        BudgetAction action = BudgetAction.of(request.action());
        long limit = limit(request.limitUsd(), request.limitCredits(), true);
        UUID token = request.tokenId() == null ? null
                : TokenAttribution.resolve(account.accountId(), request.tokenId()).orElseThrow(
                        () -> SluiceException.validation("tokenId", "'tokenId' must name an api token of this "
                                + "account, or \"" + TokenAttribution.TUNNEL_SECRET + "\"."));
        String thresholds = thresholds(request.thresholds() == null ? DEFAULT_THRESHOLDS : request.thresholds(),
                limit);
        UUID id = UUID.randomUUID();
        Object added = typed("select add_budget(:account, :budget, :name, :token, :window, :limit, :action, "
                + "cast(:thresholds as jsonb), :max)").setParameter("account", account.accountId())
                .setParameter("budget", id).setParameter("name", request.name(), String.class)
                .setParameter("token", token, UUID.class).setParameter("window", window.wire())
                .setParameter("limit", limit).setParameter("action", action.wire())
                .setParameter("thresholds", thresholds).setParameter("max", MAX_BUDGETS).getSingleResult();
        if (!Boolean.TRUE.equals(added)) {
            throw new SluiceException(409, ErrorCode.BUDGET_LIMIT_REACHED,
                    "An account has at most " + MAX_BUDGETS + " budgets.");
        }
        BudgetViews.Budget budget = find(account.accountId(), id);
        audit.succeeded(slug, "budget:" + budget.id(), "window=" + budget.window() + " limit=" + budget.limit()
                + " action=" + budget.action() + (budget.tokenId() == null ? "" : " tokenId=" + budget.tokenId()));
        return budget;
    }

    public BudgetViews.BudgetList list(String slug) {
        Account account = Accounts.require(slug);
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery(VIEWS, Tuple.class).setParameter("account", account.accountId())
                .getResultList();
        return new BudgetViews.BudgetList(rows.stream().map(this::view).toList());
    }

    public BudgetViews.Budget get(String slug, String budgetId) {
        return find(Accounts.require(slug).accountId(), id(budgetId));
    }

    private BudgetViews.Budget find(long accountId, UUID budgetId) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery(VIEWS + " where x.budget_id = :budget", Tuple.class)
                .setParameter("account", accountId).setParameter("budget", budgetId).getResultList();
        if (rows.isEmpty()) {
            throw noSuchBudget();
        }
        return view(rows.get(0));
    }

    @Transactional
    public BudgetViews.Budget change(String slug, String budgetId, BudgetViews.BudgetChange change) {
        Account account = Accounts.require(slug);
        UUID id = id(budgetId);
        BudgetAction action = change.action() == null ? null : BudgetAction.of(change.action());
        Long limit = change.limitUsd() == null && change.limitCredits() == null ? null
                : limit(change.limitUsd(), change.limitCredits(), false);
        String thresholds = null;
        if (change.thresholds() != null || limit != null) {
            // Shares of the limit follow a new limit; thresholds not given stay as they were.
            BudgetViews.Budget current = get(slug, budgetId);
            List<BudgetViews.ThresholdRequest> given = change.thresholds() != null ? change.thresholds()
                    : current.thresholds().stream().map(t -> new BudgetViews.ThresholdRequest(t.pct(), t.usd()))
                            .toList();
            thresholds = thresholds(given, limit != null ? limit : current.limit());
        }
        Object changed = typed("select change_budget(:account, :budget, :name, :limit, :action, "
                + "cast(:thresholds as jsonb))").setParameter("account", account.accountId())
                .setParameter("budget", id).setParameter("name", change.name(), String.class)
                .setParameter("limit", limit, Long.class)
                .setParameter("action", action == null ? null : action.wire(), String.class)
                .setParameter("thresholds", thresholds, String.class).getSingleResult();
        if (!Boolean.TRUE.equals(changed)) {
            throw noSuchBudget();
        }
        BudgetViews.Budget budget = find(account.accountId(), id);
        audit.succeeded(slug, "budget:" + id, "limit=" + budget.limit() + " action=" + budget.action());
        return budget;
    }

    /** Deletes a budget; what its scope was billed stays billed. */
    @Transactional
    public BudgetViews.Deleted delete(String slug, String budgetId) {
        Account account = Accounts.require(slug);
        UUID id = id(budgetId);
        if (!Boolean.TRUE.equals(em.createNativeQuery("select remove_budget(:account, :budget)")
                .setParameter("account", account.accountId()).setParameter("budget", id).getSingleResult())) {
            throw noSuchBudget();
        }
        audit.succeeded(slug, "budget:" + id, "deleted");
        return new BudgetViews.Deleted(true, id);
    }

    /** A rolled token's budgets follow it to its successor, in the roll's transaction. */
    void follow(@Observes TokenRolled rolled) {
        em.createNativeQuery("select 1 from move_budgets(:account, :from, :to)")
                .setParameter("account", rolled.accountId()).setParameter("from", rolled.from())
                .setParameter("to", rolled.to()).getSingleResult();
    }

    /** The limit in credits from one of its two forms; on a change ({@code required} false) either may be absent. */
    private long limit(BigDecimal usd, Long limitCredits, boolean required) {
        if (usd != null && limitCredits != null) {
            throw SluiceException.validation("limitUsd", "Give 'limitUsd' or 'limitCredits', not both.");
        }
        if (usd == null && limitCredits == null && required) {
            throw SluiceException.validation("limitCredits", "A budget needs 'limitUsd' or 'limitCredits'.");
        }
        long limit = usd != null ? fromUsd(usd, "limitUsd") : limitCredits;
        if (limit < 1 || limit > MAX_CREDITS) {
            throw SluiceException.validation(usd != null ? "limitUsd" : "limitCredits",
                    "A budget's limit is between 1 and " + MAX_CREDITS + " credits.");
        }
        return limit;
    }

    private long fromUsd(BigDecimal usd, String field) {
        if (usd.stripTrailingZeros().scale() > MAX_USD_DECIMALS) {
            throw SluiceException.validation(field, "'" + field + "' has at most " + MAX_USD_DECIMALS + " decimals.");
        }
        return credits.fromUsd(usd, field);
    }

    /**
     * The thresholds as stored: each as set, with its credits (a share of the limit rounded up, so 100 % is the
     * limit itself) and the key that names it across edits, in the order given; at most 10, none twice.
     */
    private String thresholds(List<BudgetViews.ThresholdRequest> given, long limit) {
        if (given.size() > 10) {
            throw SluiceException.validation("thresholds", "A budget has at most 10 thresholds.");
        }
        ArrayNode stored = json.createArrayNode();
        Set<String> keys = new HashSet<>();
        for (BudgetViews.ThresholdRequest threshold : given) {
            if (threshold == null || (threshold.pct() == null) == (threshold.usd() == null)) {
                throw SluiceException.validation("thresholds", "Each threshold has 'pct' or 'usd', one of them.");
            }
            ObjectNode node = stored.addObject();
            String key;
            if (threshold.pct() != null) {
                if (threshold.pct() < 1 || threshold.pct() > 100) {
                    throw SluiceException.validation("thresholds", "A threshold's 'pct' is between 1 and 100.");
                }
                node.put("pct", threshold.pct());
                node.put("credits", BigDecimal.valueOf(limit).multiply(BigDecimal.valueOf(threshold.pct()))
                        .divide(BigDecimal.valueOf(100), 0, java.math.RoundingMode.CEILING).longValueExact());
                key = "pct:" + threshold.pct();
            } else {
                long amount = fromUsd(threshold.usd(), "thresholds");
                if (amount < 1) {
                    throw SluiceException.validation("thresholds", "A threshold's 'usd' is more than 0.");
                }
                BigDecimal usd = threshold.usd().stripTrailingZeros();
                node.put("usd", usd);
                node.put("credits", amount);
                key = "usd:" + usd.toPlainString();
            }
            if (!keys.add(key)) {
                throw SluiceException.validation("thresholds", "A threshold is given twice.");
            }
            node.put("key", key);
        }
        return stored.toString();
    }

    private BudgetViews.Budget view(Tuple row) {
        long limit = SqlValues.number(row.get("limit_credits"));
        long spent = SqlValues.number(row.get("spent"));
        UUID token = row.get("token_id", UUID.class);
        List<BudgetViews.Threshold> thresholds = new ArrayList<>();
        for (JsonNode node : parse(row.get("thresholds", String.class))) {
            thresholds.add(new BudgetViews.Threshold(node.has("pct") ? node.get("pct").asInt() : null,
                    node.has("usd") ? node.get("usd").decimalValue() : null, node.get("credits").asLong()));
        }
        return new BudgetViews.Budget(row.get("budget_id", UUID.class), row.get("name", String.class),
                token == null ? null : TokenAttribution.wire(token), row.get("period", String.class), limit,
                new BudgetViews.Usd(credits.toUsd(limit), credits.toUsd(spent)), row.get("action", String.class),
                thresholds, spent, SqlValues.instant(row.get("created_at")));
    }

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("budget thresholds are not JSON", e);
        }
    }

    /** A native query whose parameters may be bound as typed nulls. */
    private NativeQuery<?> typed(String sql) {
        return em.createNativeQuery(sql).unwrap(NativeQuery.class);
    }

    private static UUID id(String budgetId) {
        try {
            return UUID.fromString(budgetId);
        } catch (IllegalArgumentException e) {
            throw noSuchBudget();
        }
    }

    private static SluiceException noSuchBudget() {
        return SluiceException.notFound("No such budget.");
    }
}
