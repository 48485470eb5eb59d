package dev.sluice.usage;

import static dev.sluice.SqlValues.date;
import static dev.sluice.SqlValues.number;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;

import dev.sluice.UtcNow;
import dev.sluice.account.Funding;
import dev.sluice.limit.Credits;
import dev.sluice.money.UsageWindows;
import dev.sluice.token.TokenAttribution;
import dev.sluice.web.SluiceException;
import io.agroal.api.AgroalDataSource;

/**
 * Reads usage views. Windows that have ended since the account's last call are shown as rolled, through the same
 * {@code rolled_usage} function the credit lock applies, without writing anything: the next credit movement rolls
 * them for real. Each field is read from the function's result in the target list ({@code (rolled_usage(...)).f}),
 * which PostgreSQL inlines down to that field's own expression; in {@code FROM} it would be a function scan per
 * row. Written so that Citus sends one account's view to one shard: the stored row is passed as
 * {@code row(stored.*)::account_usage}, not as {@code stored} (on a shard a bare whole-row reference has the shard's
 * own row type), and open tunnels are counted (and a prepaid account's next expiring grant found) by a join on
 * {@code account_id}, not by a correlated subquery (which Citus would send to every shard).
 */
@ApplicationScoped
public class UsageService {

    private static final String VIEW = """
            select a.slug, a.plan, a.status, a.day_limit, a.month_limit, a.concurrent_max,
                   %1$s.day_used as day_used, %1$s.day_leased as day_leased, %1$s.day_unbilled as day_unbilled,
                   %1$s.month_used as month_used, %1$s.month_leased as month_leased,
                   %1$s.month_unbilled as month_unbilled,
                   %1$s.bytes_used as bytes_used,
                   %1$s.bytes_window_start + interval '7 days' as bytes_reset_at,
                   %1$s.session_seconds_used as session_seconds_used,
                   %1$s.session_window_start + interval '24 hours' as session_reset_at,
                   p.bytes_per_7d, p.session_seconds_per_24h, coalesce(open_tunnels.tunnels, 0) as open_tunnels,
                   a.funding, stored.balance, next_expiry.remaining as expiring_credits,
                   next_expiry.expires_at as expiring_at
              from account a
              join account_usage stored on stored.account_id = a.account_id
              join plan p on p.plan_id = a.plan
              left join (select t.account_id, count(*) as tunnels from tunnel t where t.closed_at is null
                          group by t.account_id) open_tunnels on open_tunnels.account_id = a.account_id
              left join (select distinct on (g.account_id) g.account_id, g.remaining, g.expires_at
                           from credit_grant g
                          where g.state = 'active' and g.remaining > 0 and g.expires_at is not null
                          order by g.account_id, g.expires_at) next_expiry on next_expiry.account_id = a.account_id
            """.formatted("(rolled_usage(row(stored.*)::account_usage))");

    /**
     * One token's numbers: its token_daily rows of this month (its day, month, and the days of the account's byte
     * and session windows, which last at most 7 days and may begin in the month before), and its open tunnels.
     */
    private static final String TOKEN_VIEW = """
            select coalesce(sum(d.credit) filter (where d.day = today.day), 0) as day_used,
                   coalesce(sum(d.unbilled) filter (where d.day = today.day), 0) as day_unbilled,
                   coalesce(sum(d.credit) filter (where d.day >= today.month), 0) as month_used,
                   coalesce(sum(d.unbilled) filter (where d.day >= today.month), 0) as month_unbilled,
                   coalesce(sum(d.byte_in + d.byte_out) filter (where d.day >= :bytes_from), 0) as bytes_used,
                   coalesce(sum(d.session_second) filter (where d.day >= :session_from), 0) as session_seconds_used,
                   min(open.tunnels) as open_tunnels, min(open.held) as held
              from (select (now() at time zone 'utc')::date as day,
                           date_trunc('month', now() at time zone 'utc')::date as month) today
              cross join (select count(*) as tunnels, coalesce(sum(x.held), 0) as held from tunnel x
                           where x.account_id = :account and x.closed_at is null
                             and tunnel_token(x.token_id) = :token) open
              left join token_daily d on d.account_id = :account and d.token_id = :token
                                     and d.day >= least(today.month, today.day - 7)
            """;
    static final String BY_TOKEN = "token";
    static final int DEFAULT_SERIES_DAYS = 30;
    static final int MAX_SERIES_DAYS = 90;

    @Inject
    EntityManager em;
    @Inject
    Credits credits;
    @Inject
    AgroalDataSource db;

    public UsageViews.View of(long accountId) {
        List<UsageViews.View> views = views(VIEW + " where a.account_id = ?", UtcNow.get(), accountId);
        if (views.isEmpty()) {
            throw SluiceException.notFound("No such account.");
        }
        return views.get(0);
    }

    public UsageViews.AllAccounts all() {
        Instant now = UtcNow.get();
        List<UsageViews.View> views = views(VIEW + " order by a.account_id", now);
        // Exact: the sum over accounts may pass what a long holds.
        UsageWindows.Window day = total(views.stream().map(UsageViews.View::day).toList(), UsageWindows.nextDay(now));
        UsageWindows.Window month = total(views.stream().map(UsageViews.View::month).toList(),
                UsageWindows.nextMonth(now));
        return new UsageViews.AllAccounts(views, new UsageViews.Totals(views.size(), day, month,
                new UsageViews.Usd(credits.toUsd(day.used()), credits.toUsd(day.limit()),
                        credits.toUsd(month.used()), credits.toUsd(month.limit()))));
    }

    private static UsageWindows.Window total(List<UsageWindows.Window> windows, Instant resetAt) {
        BigInteger used = BigInteger.ZERO, leased = BigInteger.ZERO, unbilled = BigInteger.ZERO;
        BigInteger limit = BigInteger.ZERO;
        for (UsageWindows.Window window : windows) {
            used = used.add(window.used());
            leased = leased.add(window.leased());
            unbilled = unbilled.add(window.unbilled());
            limit = limit.add(window.limit());
        }
        return UsageWindows.Window.of(used, leased, unbilled, limit, resetAt);
    }

    /**
     * The view's rows through plain JDBC in autocommit: a read of committed rows that needs no persistence context,
     * and whose connection goes back to the pool as soon as it is read (a third of this endpoint's CPU went to
     * Hibernate's native-query machinery).
     */
    private List<UsageViews.View> views(String sql, Instant now, Object... parameters) {
        try (Connection connection = db.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet row = statement.executeQuery()) {
                List<UsageViews.View> views = new ArrayList<>();
                while (row.next()) {
                    views.add(view(row, now));
                }
                return views;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("usage view failed", e);
        }
    }

    /**
     * The last {@code days} closed UTC days (1..90, default 30), right-aligned on yesterday, in one query: archived
     * days from usage_daily, plus the account's live bucket when its day has ended but not yet rolled.
     */
    public UsageViews.Series series(long accountId, Integer days, String by) {
        int span = days == null ? DEFAULT_SERIES_DAYS : days;
        if (span < 1 || span > MAX_SERIES_DAYS) {
            throw SluiceException.validation("days", "'days' must be between 1 and " + MAX_SERIES_DAYS + ".");
        }
        if (by != null && !BY_TOKEN.equals(by)) {
            throw SluiceException.validation("by", "'by' must be \"" + BY_TOKEN + "\".");
        }
        LocalDate to = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate from = to.minusDays(span - 1L);
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                with days as (
                    select d::date as day from generate_series(cast(:from as date), cast(:to as date), interval '1 day') d
                ), live as (
                    select day_start as day, day_used, day_ops, day_bytes_in, day_bytes_out, day_session_seconds,
                           day_tunnels
                      from account_usage
                     where account_id = :account and day_start between cast(:from as date) and cast(:to as date)
                )
                select days.day,
                       coalesce(h.credit, l.day_used, 0) as credits, coalesce(h.op, l.day_ops, 0) as ops,
                       coalesce(h.byte_in, l.day_bytes_in, 0) as bytes_in,
                       coalesce(h.byte_out, l.day_bytes_out, 0) as bytes_out,
                       coalesce(h.session_second, l.day_session_seconds, 0) as session_seconds,
                       coalesce(h.tunnel, l.day_tunnels, 0) as tunnels
                  from days
                  left join usage_daily h on h.account_id = :account and h.day = days.day
                  left join live l on l.day = days.day
                 order by days.day""", Tuple.class)
                .setParameter("account", accountId).setParameter("from", from).setParameter("to", to)
                .getResultList();
        Map<LocalDate, Map<String, Long>> byToken = by == null ? Map.of() : tokenCredits(accountId, from, to);
        List<UsageViews.Bucket> buckets = rows.stream().map(r -> new UsageViews.Bucket(date(r.get("day")),
                new UsageViews.DayTotals(number(r.get("credits")), number(r.get("ops")), number(r.get("bytes_in")),
                        number(r.get("bytes_out")), number(r.get("session_seconds")), number(r.get("tunnels"))),
                by == null ? null : byToken.getOrDefault(date(r.get("day")), Map.of())))
                .toList();
        return new UsageViews.Series(from, to, buckets);
    }

    /** Credits billed to each token's tunnels per day, from token_daily (which outlives the tunnels). */
    private Map<LocalDate, Map<String, Long>> tokenCredits(long accountId, LocalDate from, LocalDate to) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select day, token_id, credit from token_daily
                 where account_id = :account and day between cast(:from as date) and cast(:to as date) and credit > 0
                 order by day, token_id""", Tuple.class)
                .setParameter("account", accountId).setParameter("from", from).setParameter("to", to)
                .getResultList();
        Map<LocalDate, Map<String, Long>> credits = new HashMap<>();
        for (Tuple r : rows) {
            credits.computeIfAbsent(date(r.get("day")), day -> new LinkedHashMap<>())
                    .put(TokenAttribution.wire(r.get("token_id", UUID.class)), number(r.get("credit")));
        }
        return credits;
    }

    /**
     * The usage view restricted to one token's tunnels (an api token of the account, or {@code tunnel-secret}):
     * what they used, hold and were not billed, their bytes and session seconds in the account's running windows
     * (counted by UTC day), and how many are open. The limits, what remains, the level and the balance stay the
     * account's: a token spends from them.
     */
    public UsageViews.View ofToken(long accountId, String tokenId) {
        UUID token = TokenAttribution.resolve(accountId, tokenId)
                .orElseThrow(() -> SluiceException.validation("token", "'token' must name an api token of this "
                        + "account, or \"" + TokenAttribution.TUNNEL_SECRET + "\"."));
        UsageViews.View account = of(accountId);
        Instant bytesFrom = account.bytes().resetAt() == null ? null
                : account.bytes().resetAt().minus(Duration.ofDays(7));
        Instant sessionFrom = account.sessionSeconds().resetAt() == null ? null
                : account.sessionSeconds().resetAt().minus(Duration.ofHours(24));
        Tuple t = (Tuple) em.unwrap(org.hibernate.Session.class).createNativeQuery(TOKEN_VIEW, Tuple.class)
                .setParameter("account", accountId).setParameter("token", token)
                .setParameter("bytes_from", utcDate(bytesFrom), LocalDate.class)
                .setParameter("session_from", utcDate(sessionFrom), LocalDate.class)
                .getSingleResult();
        long held = number(t.get("held"));
        long dayUsed = number(t.get("day_used"));
        long monthUsed = number(t.get("month_used"));
        return new UsageViews.View(account.slug(), account.plan(), account.status(), account.level(),
                share(account.day(), dayUsed, held, number(t.get("day_unbilled"))),
                share(account.month(), monthUsed, held, number(t.get("month_unbilled"))),
                new UsageViews.Usd(credits.toUsd(dayUsed), account.usd().dayLimit(), credits.toUsd(monthUsed),
                        account.usd().monthLimit()),
                new UsageViews.Meter(bytesFrom == null ? 0 : number(t.get("bytes_used")), account.bytes().limit(),
                        account.bytes().resetAt()),
                new UsageViews.Meter(sessionFrom == null ? 0 : number(t.get("session_seconds_used")),
                        account.sessionSeconds().limit(), account.sessionSeconds().resetAt()),
                number(t.get("open_tunnels")), account.concurrentMax(), account.balance());
    }

    /** One token's part of an account's window: its own used, leased and unbilled; the account's limit and remaining. */
    private static UsageWindows.Window share(UsageWindows.Window account, long used, long leased, long unbilled) {
        UsageWindows.Window own = UsageWindows.Window.of(BigInteger.valueOf(used), BigInteger.valueOf(leased),
                BigInteger.valueOf(unbilled), account.limit(), account.resetAt());
        return new UsageWindows.Window(own.used(), own.leased(), own.unbilled(), account.limit(), account.remaining(),
                own.pct(), account.resetAt());
    }

    private static LocalDate utcDate(Instant at) {
        return at == null ? null : LocalDate.ofInstant(at, ZoneOffset.UTC);
    }

    private UsageViews.View view(ResultSet r, Instant now) throws SQLException {
        UsageWindows.Counters counters = UsageWindows.Counters.of(r);
        String slug = r.getString("slug");
        String plan = r.getString("plan");
        String level = counters.level().wire();
        UsageWindows.Snapshot snapshot = counters.snapshot(slug, plan, level, now);
        return new UsageViews.View(slug, plan, r.getString("status"), level, snapshot.day(), snapshot.month(),
                usd(counters),
                new UsageViews.Meter(r.getLong("bytes_used"), r.getLong("bytes_per_7d"), instant(r, "bytes_reset_at")),
                new UsageViews.Meter(r.getLong("session_seconds_used"), r.getLong("session_seconds_per_24h"),
                        instant(r, "session_reset_at")),
                r.getLong("open_tunnels"), r.getInt("concurrent_max"), balance(r, counters));
    }

    /**
     * A prepaid account's balance: what its grants hold ({@code remaining}, the sum of its ledger), what its
     * tunnels hold, what is left to lease (never below 0), and the soonest expiry; null for a postpaid account.
     */
    private static UsageViews.Balance balance(ResultSet r, UsageWindows.Counters counters) throws SQLException {
        if (!Funding.PREPAID.wire().equals(r.getString("funding"))) {
            return null;
        }
        long remaining = r.getLong("balance");
        long held = counters.dayLeased();
        Instant expiringAt = instant(r, "expiring_at");
        return new UsageViews.Balance(Math.max(0, remaining - held), held, remaining,
                expiringAt == null ? null : new UsageViews.Expiry(r.getLong("expiring_credits"), expiringAt));
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        Timestamp at = row.getTimestamp(column);
        return at == null ? null : at.toInstant();
    }

    private UsageViews.Usd usd(UsageWindows.Counters c) {
        return new UsageViews.Usd(credits.toUsd(c.dayUsed()), credits.toUsd(c.dayLimit()),
                credits.toUsd(c.monthUsed()), credits.toUsd(c.monthLimit()));
    }
}
