package dev.sluice.tunnel;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

import dev.sluice.money.UsageWindows;

/**
 * The data plane's records. Counters are capped at 10^12 per call: far above any real report (a million relayed
 * ops a second for eleven days), and far enough from 2^63 that millions of reports cannot overflow a total.
 */
public final class TunnelViews {

    static final long MAX_COUNT = 1_000_000_000_000L;

    private TunnelViews() {
    }

    public record RegisterRequest(@Size(min = 1, max = 63) String subdomain, Boolean password,
            @Size(max = 64) String region) {
    }

    public record LeaseRequest(@PositiveOrZero @Max(MAX_COUNT) Long consumed, @PositiveOrZero @Max(MAX_COUNT) Long want,
            @PositiveOrZero @Max(MAX_COUNT) Long bytesIn, @PositiveOrZero @Max(MAX_COUNT) Long bytesOut) {
    }

    public record CloseRequest(@PositiveOrZero @Max(MAX_COUNT) Long consumed,
            @PositiveOrZero @Max(MAX_COUNT) Long bytesIn, @PositiveOrZero @Max(MAX_COUNT) Long bytesOut) {
    }

    public record Registered(UUID id, String subdomain, String url, boolean passwordProtected, Instant createdAt,
            UsageWindows.Snapshot account, String grant) {
    }

    public record Leased(long granted, long held, String level, UsageWindows.Snapshot account) {
    }

    public record Closed(long returned, String reason) {
    }

    public record TunnelView(UUID id, String subdomain, String url, boolean passwordProtected, Instant createdAt,
            Instant lastActivityAt, long held, long consumed, long unbilled, long bytesIn, long bytesOut,
            long sessionSeconds, Instant closedAt, String closeReason) {
    }

    public record TunnelList(List<TunnelView> tunnels) {
    }
}
