package dev.sluice.account;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Email;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.sluice.auth.Slugs;
import dev.sluice.plan.Plan;

/** The account API's records: what clients send and what they get back. */
public final class AccountViews {

    /** The contract's bounds: a relay's lease is at most a million credits, an account at most 10,000 tunnels. */
    static final long MAX_LEASE_CHUNK = 1_000_000;
    static final long MAX_CONCURRENT = 10_000;

    private AccountViews() {
    }

    public record CreateRequest(
            @NotNull @Pattern(regexp = Slugs.NEW_PATTERN, message = "must be 2-54 characters of a-z, 0-9 and '-'")
            String slug,
            @Size(max = 200) String name,
            Plan plan,
            @PositiveOrZero BigDecimal dayUsd,
            @PositiveOrZero BigDecimal monthUsd,
            @PositiveOrZero Long dayLimit,
            @PositiveOrZero Long monthLimit,
            @Min(1) @Max(MAX_CONCURRENT) Integer concurrentMax,
            @Min(1) @Max(MAX_LEASE_CHUNK) Long leaseChunk,
            @Size(max = 255) String stripeCustomerId,
            @Email @Size(max = 254) String email) {

        public LimitChange limits() {
            return new LimitChange(dayUsd, dayLimit, monthUsd, monthLimit, concurrentMax, leaseChunk);
        }
    }

    /**
     * A class rather than a record because an absent {@code stripeCustomerId} (leave the link alone) and a JSON
     * null (unlink) mean different things, and only a setter sees the difference.
     */
    public static final class PatchRequest {

        @Size(max = 200)
        private String name;
        @Email
        @Size(max = 254)
        private String email;
        @Size(max = 255)
        private String stripeCustomerId;
        private String funding;
        /** Not a JSON property (so sending it is an unknown field, 400); hidden from the API description. */
        @Schema(hidden = true)
        private boolean setsStripeCustomer;

        public String name() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String email() {
            return email;
        }

        public void setEmail(String email) {
            this.email = email;
        }

        /** {@code postpaid} or {@code prepaid}; null leaves it. */
        public String funding() {
            return funding;
        }

        public void setFunding(String funding) {
            this.funding = funding;
        }

        /** The customer to link; null unlinks (when {@link #setsStripeCustomer()}). */
        public String stripeCustomerId() {
            return stripeCustomerId;
        }

        public void setStripeCustomerId(String stripeCustomerId) {
            this.stripeCustomerId = stripeCustomerId;
            this.setsStripeCustomer = true;
        }

        public boolean setsStripeCustomer() {
            return setsStripeCustomer;
        }
    }

    /** A limits change; each window in dollars or credits, not both. */
    public record LimitChange(
            @PositiveOrZero BigDecimal dayUsd,
            @PositiveOrZero Long dayLimit,
            @PositiveOrZero BigDecimal monthUsd,
            @PositiveOrZero Long monthLimit,
            @Min(1) @Max(MAX_CONCURRENT) Integer concurrentMax,
            @Min(1) @Max(MAX_LEASE_CHUNK) Long leaseChunk) {
    }

    public record Usd(BigDecimal dayLimit, BigDecimal monthLimit) {
    }

    public record AccountView(String slug, String name, String email, String status, String suspendedBy, String plan,
            String funding, long dayLimit, long monthLimit, int concurrentMax, long leaseChunk, Usd usd, String stripeCustomerId,
            Instant createdAt) {
    }

    public record Created(AccountView account, String serviceToken, UUID tokenId) {
    }

    public record Updated(boolean ok, AccountView account) {
    }

    public record StatusChanged(boolean ok, String slug, String status) {
    }

    public record Windows(long day, long month) {
    }

    public record UsdWindows(BigDecimal day, BigDecimal month, UsdAllocated allocated) {
    }

    public record UsdAllocated(BigDecimal day, BigDecimal month) {
    }

    public record Global(long day, long month, Windows allocated, UsdWindows usd) {
    }

    public record Page(List<AccountView> accounts, Global global, String nextCursor) {
    }
}
