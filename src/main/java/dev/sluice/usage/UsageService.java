package dev.sluice.usage;

import static dev.sluice.SqlValues.date;
import static dev.sluice.SqlValues.instant;
import static dev.sluice.SqlValues.number;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import dev.sluice.UtcNow;
import dev.sluice.limit.Credits;
import dev.sluice.tunnel.UsageWindows;
import dev.sluice.web.SluiceException;
import io.agroal.api.AgroalDataSource;

/**
 * Reads usage views. Windows that have ended since the account's last call are shown as rolled, through the same
 * {@code rolled_usage} function the credit lock applies, without writing anything: the next credit movement rolls
 * them for real. Written so that Citus sends one account's view to one shard: the stored row is passed as
 * {@code row(stored.*)::account_usage}, not as {@code stored} (on a shard a bare whole-row reference has the shard's
 * own row type), and open tunnels are counted by a join on {@code account_id}, not by a correlated subquery (which
 * Citus would send to every shard).
 */
@ApplicationScoped
public class UsageService {

    private static final String VIEW = """
            select a.slug, a.plan, a.status, a.day_limit, a.month_limit, a.concurrent_max,
                   u.day_used, u.day_leased, u.month_used, u.month_leased,
                   u.bytes_used, u.bytes_window_start + interval '7 days',
                   u.session_seconds_used, u.session_window_start + interval '24 hours',
                   p.bytes_per_7d, p.session_seconds_per_24h, coalesce(open_tunnels.tunnels, 0)
              from account a
              join account_usage stored on stored.account_id = a.account_id
              cross join lateral rolled_usage(row(stored.*)::account_usage) u
              join plan p on p.plan_id = a.plan
              left join (select t.account_id, count(*) as tunnels from tunnel t where t.closed_at is null
                          group by t.account_id) open_tunnels on open_tunnels.account_id = a.account_id
            """;

    static final int DEFAULT_SERIES_DAYS = 30;
    static final int MAX_SERIES_DAYS = 90;

    @Inject
    EntityManager em;
    @Inject
    Credits credits;
    @Inject
    AgroalDataSource db;

    public UsageViews.View of(long accountId) {
        List<Object[]> rows = viewRows(VIEW + " where a.account_id = ?", accountId);
        if (rows.isEmpty()) {
            throw SluiceException.notFound("No such account.");
        }
        return view(rows.get(0), UtcNow.get());
    }

    public UsageViews.AllAccounts all() {
        List<Object[]> rows = viewRows(VIEW + " order by a.account_id");
        Instant now = UtcNow.get();
        List<UsageViews.View> views = rows.stream().map(r -> view(r, now)).toList();
        BigInteger dayUsed = BigInteger.ZERO, dayLeased = BigInteger.ZERO, dayLimit = BigInteger.ZERO;
        BigInteger monthUsed = BigInteger.ZERO, monthLeased = BigInteger.ZERO, monthLimit = BigInteger.ZERO;
        for (UsageViews.View v : views) {
            dayUsed = dayUsed.add(v.day().used());
            dayLeased = dayLeased.add(v.day().leased());
            dayLimit = dayLimit.add(v.day().limit());
            monthUsed = monthUsed.add(v.month().used());
            monthLeased = monthLeased.add(v.month().leased());
            monthLimit = monthLimit.add(v.month().limit());
        }
        // Exact: the sum over accounts may pass what a long holds.
        UsageWindows.Window day = UsageWindows.Window.of(dayUsed, dayLeased, dayLimit, UsageWindows.nextDay(now));
        UsageWindows.Window month = UsageWindows.Window.of(monthUsed, monthLeased, monthLimit,
                UsageWindows.nextMonth(now));
        return new UsageViews.AllAccounts(views, new UsageViews.Totals(views.size(), day, month,
                new UsageViews.Usd(credits.toUsd(dayUsed), credits.toUsd(dayLimit), credits.toUsd(monthUsed),
                        credits.toUsd(monthLimit))));
    }

    /**
     * The view's rows through plain JDBC in autocommit: a read of committed rows that needs no persistence context,
     * and whose connection goes back to the pool as soon as it is read (a third of this endpoint's CPU went to
     * Hibernate's native-query machinery).
     */
    private List<Object[]> viewRows(String sql, Object... parameters) {
        try (Connection connection = db.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet row = statement.executeQuery()) {
                int columns = row.getMetaData().getColumnCount();
                List<Object[]> rows = new ArrayList<>();
                while (row.next()) {
                    Object[] values = new Object[columns];
                    for (int c = 0; c < columns; c++) {
                        values[c] = row.getObject(c + 1);
                    }
                    rows.add(values);
                }
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("usage view failed", e);
        }
    }

    /**
     * The last {@code days} closed UTC days (1..90, default 30), right-aligned on yesterday, in one query: archived
     * days from usage_daily, plus the account's live bucket when its day has ended but not yet rolled.
     */
    public UsageViews.Series series(long accountId, Integer days) {
        int span = days == null ? DEFAULT_SERIES_DAYS : days;
        if (span < 1 || span > MAX_SERIES_DAYS) {
            throw SluiceException.validation("days", "'days' must be between 1 and " + MAX_SERIES_DAYS + ".");
        }
        LocalDate to = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate from = to.minusDays(span - 1L);
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                with days as (
                    select d::date as day from generate_series(cast(:from as date), cast(:to as date), interval '1 day') d
                ), live as (
                    select day_start as day, day_used, day_ops, day_bytes_in, day_bytes_out, day_session_seconds,
                           day_tunnels
                      from account_usage
                     where account_id = :account and day_start between cast(:from as date) and cast(:to as date)
                )
                select days.day,
                       coalesce(h.credit, l.day_used, 0), coalesce(h.op, l.day_ops, 0),
                       coalesce(h.byte_in, l.day_bytes_in, 0), coalesce(h.byte_out, l.day_bytes_out, 0),
                       coalesce(h.session_second, l.day_session_seconds, 0), coalesce(h.tunnel, l.day_tunnels, 0)
                  from days
                  left join usage_daily h on h.account_id = :account and h.day = days.day
                  left join live l on l.day = days.day
                 order by days.day""")
                .setParameter("account", accountId).setParameter("from", from).setParameter("to", to)
                .getResultList();
        List<UsageViews.Bucket> buckets = rows.stream().map(r -> new UsageViews.Bucket(date(r[0]), new UsageViews.DayTotals(number(r[1]), number(r[2]), number(r[3]), number(r[4]),
                        number(r[5]), number(r[6])))).toList();
        return new UsageViews.Series(from, to, buckets);
    }

    private UsageViews.View view(Object[] r, Instant now) {
        UsageWindows.Counters counters = new UsageWindows.Counters(number(r[6]), number(r[7]), number(r[3]),
                number(r[8]), number(r[9]), number(r[4]));
        UsageWindows.Snapshot snapshot = counters.snapshot((String) r[0], (String) r[1], counters.level(), now);
        return new UsageViews.View((String) r[0], (String) r[1], (String) r[2], counters.level(), snapshot.day(),
                snapshot.month(), usd(counters), new UsageViews.Meter(number(r[10]), number(r[14]), instant(r[11])),
                new UsageViews.Meter(number(r[12]), number(r[15]), instant(r[13])), number(r[16]),
                (int) number(r[5]));
    }

    private UsageViews.Usd usd(UsageWindows.Counters c) {
        return new UsageViews.Usd(credits.toUsd(c.dayUsed()), credits.toUsd(c.dayLimit()),
                credits.toUsd(c.monthUsed()), credits.toUsd(c.monthLimit()));
    }
}
