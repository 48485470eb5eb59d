package dev.sluice.admin;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import dev.sluice.account.Account;
import dev.sluice.account.AccountConfig;
import dev.sluice.account.AccountStore;
import dev.sluice.account.AccountViews.AccountView;
import dev.sluice.account.AccountViews.LimitChange;
import dev.sluice.account.AccountViews;
import dev.sluice.account.Accounts;
import dev.sluice.account.Funding;
import dev.sluice.account.OperatorNames;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.billing.StripeLinks;
import dev.sluice.limit.Credits;
import dev.sluice.limit.GlobalCeiling;
import dev.sluice.money.CloseReason;
import dev.sluice.money.CreditLock;
import dev.sluice.plan.Plan;
import dev.sluice.token.ApiToken;
import dev.sluice.token.TokenService;
import dev.sluice.token.TokenViews;
import dev.sluice.web.ErrorCode;
import dev.sluice.web.Pages;
import dev.sluice.web.SluiceException;

/**
 * Accounts: creation with their first service token, limits under the global ceiling, suspension.
 *
 * <p>Lock order, everywhere: a Stripe customer's advisory lock when one is involved ({@code StripeLinks}), the
 * account row ({@code FOR UPDATE}), then the {@code global_allocation} row
 * (inside {@link GlobalCeiling#reserve}), so concurrent changes cannot deadlock and the delta added to the
 * allocation is always computed from the limit that is really being replaced.
 */
@ApplicationScoped
public class AccountService {

    static final int DEFAULT_PAGE = 50;
    static final int MAX_PAGE = 500;
    static final int MAX_QUERY = 200;

    @Inject
    Credits credits;
    @Inject
    GlobalCeiling ceiling;
    @Inject
    TokenService tokens;
    @Inject
    AuditTrail audit;
    @Inject
    AccountConfig defaults;
    @Inject
    AccountStore store;
    @Inject
    OperatorNames operatorNames;
    @Inject
    StripeLinks stripeLinks;

    @Transactional
    public AccountViews.Created create(AccountViews.CreateRequest request) {
        if (operatorNames.contains(request.slug())) {
            throw SluiceException.validation("slug", "'" + request.slug() + "' is one of the operator's names "
                    + "(RESERVED_SUBDOMAINS), so it cannot be a slug.");
        }
        if (request.stripeCustomerId() != null) {
            // No unique index keeps a customer to one account (Citus could not distribute it): this lock does.
            stripeLinks.lockCustomer(request.stripeCustomerId());
        }
        LimitChange limits = request.limits();
        Account account = Account.open(request.slug(), request.name(), request.email(),
                (request.plan() == null ? Plan.FREE : request.plan()).id());
        account.linkStripeCustomer(request.stripeCustomerId());
        account.changeLimits(dayCredits(limits, credits.fromUsd(defaults.signupDayUsd(), "SIGNUP_DAY_LIMIT")),
                monthCredits(limits, credits.fromUsd(defaults.signupMonthUsd(), "SIGNUP_MONTH_LIMIT")));
        account.changeConcurrentMax(Objects.requireNonNullElse(limits.concurrentMax(), defaults.concurrentMax()));
        account.changeLeaseChunk(Objects.requireNonNullElse(limits.leaseChunk(), defaults.leaseChunk()));
        requireFree(account);
        ceiling.reserve(account.dayLimit(), account.monthLimit());
        // Checked again under the allocation row lock: a racing create of the same slug has committed by now.
        requireFree(account);
        store.insert(account);
        TokenViews.Minted token = tokens.mint(account, ApiToken.SERVICE, "default", null);
        audit.succeeded(account.slug(), "account:" + account.slug(),
                "dayLimit=" + account.dayLimit() + " monthLimit=" + account.monthLimit() + " plan=" + account.plan());
        return new AccountViews.Created(store.view(account), token.token(), token.id());
    }

    public AccountView get(String slug) {
        return store.view(Accounts.require(slug));
    }

    /** A page of accounts in id order; {@code q}, when given, keeps those whose slug, name or email starts with it. */
    public AccountViews.Page list(Integer limit, String cursor, String q) {
        int size = Pages.size(limit, DEFAULT_PAGE, MAX_PAGE);
        if (q != null && (q.length() > MAX_QUERY || q.chars().anyMatch(Character::isISOControl))) {
            throw SluiceException.validation("q", "'q' must be at most " + MAX_QUERY
                    + " characters, with no control characters.");
        }
        long after = cursor == null ? 0 : Pages.key(cursor);
        List<Account> page = q == null || q.isEmpty()
                ? Account.find("accountId > ?1 order by accountId", after).page(0, size + 1).list()
                : Account.find("accountId > ?1 and (lower(slug) like ?2 escape '!' or lower(name) like ?2 escape '!'"
                        + " or lower(email) like ?2 escape '!') order by accountId", after, prefixPattern(q))
                        .page(0, size + 1).list();
        String next = page.size() > size ? Pages.cursor(page.get(size - 1).accountId()) : null;
        List<AccountView> views = page.stream().limit(size).map(store::view).toList();
        GlobalCeiling.Allocation a = ceiling.current();
        AccountViews.Global global = new AccountViews.Global(a.dayCeiling(), a.monthCeiling(),
                new AccountViews.Windows(a.dayAllocated(), a.monthAllocated()),
                new AccountViews.UsdWindows(credits.toUsd(a.dayCeiling()), credits.toUsd(a.monthCeiling()),
                        new AccountViews.UsdAllocated(credits.toUsd(a.dayAllocated()),
                                credits.toUsd(a.monthAllocated()))));
        return new AccountViews.Page(views, global, next);
    }

    /**
     * A new {@code stripeCustomerId} re-links the account and applies that customer's kept Stripe events. Its
     * customer lock is taken before the account row lock, the order Stripe's webhook takes them in.
     */
    @Transactional
    public AccountView patch(String slug, AccountViews.PatchRequest request) {
        String customer = request.stripeCustomerId();
        if (customer != null) {
            stripeLinks.lockCustomer(customer);
        }
        Account account = Accounts.lock(slug);
        if (request.name() != null) {
            account.rename(request.name());
        }
        if (request.email() != null) {
            account.changeEmail(request.email());
        }
        String detail = null;
        if (request.funding() != null) {
            Funding funding = Funding.of(request.funding());
            if (!funding.wire().equals(account.funding())) {
                detail = "funding " + account.funding() + "->" + funding.wire();
                account.changeFunding(funding);
            }
        }
        if (request.setsStripeCustomer() && !Objects.equals(customer, account.stripeCustomerId())) {
            requireCustomerFree(slug, customer);
            detail = (detail == null ? "" : detail + " ") + "stripeCustomerId " + account.stripeCustomerId() + "->"
                    + customer;
            stripeLinks.relink(account, customer);
        }
        audit.succeeded(slug, "account:" + slug, detail);
        return store.view(account);
    }

    @Transactional
    public AccountViews.Updated updateLimits(CreditLock lock, String slug, LimitChange change) {
        Account account = Accounts.lock(slug);
        long day = dayCredits(change, account.dayLimit());
        long month = monthCredits(change, account.monthLimit());
        int closed = 0;
        if (change.concurrentMax() != null && change.concurrentMax() < account.concurrentMax()) {
            // Before the ceiling: close_tunnels takes the credit lock, which comes before global_allocation.
            closed = lock.closeExcess(account.accountId(), change.concurrentMax());
        }
        ceiling.reserve(day - account.dayLimit(), month - account.monthLimit());
        String detail = "dayLimit " + account.dayLimit() + "->" + day + " monthLimit " + account.monthLimit() + "->"
                + month;
        account.changeLimits(day, month);
        if (change.concurrentMax() != null) {
            detail += " concurrentMax " + account.concurrentMax() + "->" + change.concurrentMax()
                    + (closed > 0 ? " closedTunnels=" + closed : "");
            account.changeConcurrentMax(change.concurrentMax());
        }
        if (change.leaseChunk() != null) {
            detail += " leaseChunk " + account.leaseChunk() + "->" + change.leaseChunk();
            account.changeLeaseChunk(change.leaseChunk());
        }
        audit.succeeded(slug, "limits", detail);
        return new AccountViews.Updated(true, store.view(account));
    }

    /** A root suspension can be lifted only by root; a service token never weakens one. */
    @Transactional
    public AccountViews.StatusChanged suspend(CreditLock lock, Principal caller, String slug) {
        Account account = Accounts.lock(slug);
        String by = caller.isRoot() ? "root" : "service";
        account.suspend(by);
        Account.getEntityManager().flush();
        int closed = lock.closeOpen(account.accountId(), null, CloseReason.SUSPENDED);
        audit.succeeded(slug, "account:" + slug, "suspendedBy=" + account.suspendedBy() + " closedTunnels=" + closed);
        return new AccountViews.StatusChanged(true, slug, account.status());
    }

    @Transactional
    public AccountViews.StatusChanged resume(Principal caller, String slug) {
        Account account = Accounts.lock(slug);
        if ("root".equals(account.suspendedBy()) && !caller.isRoot()) {
            throw SluiceException.forbidden("The account was suspended by root; only root can resume it.");
        }
        account.resume();
        audit.succeeded(slug, "account:" + slug, null);
        return new AccountViews.StatusChanged(true, slug, account.status());
    }

    private void requireFree(Account account) {
        if (Account.bySlug(account.slug()) != null) {
            throw new SluiceException(409, ErrorCode.ACCOUNT_EXISTS, "An account with slug '" + account.slug()
                    + "' already exists.", Map.of("field", "slug"), Map.of());
        }
        requireCustomerFree(account.slug(), account.stripeCustomerId());
    }

    /**
     * A customer links at most one account: checked under the customer's advisory lock (taken by the caller), and
     * before the entity changes, so the query's auto-flush does not write the change it is checking.
     */
    private static void requireCustomerFree(String slug, String stripeCustomerId) {
        if (stripeCustomerId != null
                && Account.count("stripeCustomerId = ?1 and slug <> ?2", stripeCustomerId, slug) > 0) {
            throw new SluiceException(409, ErrorCode.ACCOUNT_EXISTS,
                    "That Stripe customer is linked to another account.",
                    Map.of("field", "stripeCustomerId"), Map.of());
        }
    }

    private long dayCredits(LimitChange change, long otherwise) {
        return credits(change.dayUsd(), "dayUsd", change.dayLimit(), "dayLimit", otherwise);
    }

    private long monthCredits(LimitChange change, long otherwise) {
        return credits(change.monthUsd(), "monthUsd", change.monthLimit(), "monthLimit", otherwise);
    }

    private long credits(java.math.BigDecimal usd, String usdField, Long credits, String creditField,
            long otherwise) {
        if (usd != null && credits != null) {
            throw SluiceException.validation(usdField, "Give '" + usdField + "' or '" + creditField
                    + "', not both.");
        }
        if (usd != null) {
            return this.credits.fromUsd(usd, usdField);
        }
        return credits != null ? credits : otherwise;
    }

    /** A LIKE prefix pattern in which the searched text's own {@code %} and {@code _} match only themselves. */
    static String prefixPattern(String q) {
        return q.toLowerCase(java.util.Locale.ROOT)
                .replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
    }
}
