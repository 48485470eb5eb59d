package dev.sluice.billing;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.stripe.model.CreditNote;
import com.stripe.model.Invoice;
import com.stripe.model.InvoiceLineItem;
import com.stripe.model.Price;
import com.stripe.net.ApiResource;

import dev.sluice.account.Account;
import dev.sluice.audit.AuditLog;
import dev.sluice.credit.CreditService;

/**
 * Prepaid credit bought through Stripe (contract §11). An {@code invoice.paid} whose lines name a credit price grants
 * quantity x credits as one paid grant, once per invoice id; {@code credit_note.created} voids that grant's remaining
 * in proportion to the amount credited. A credit price is listed in {@code STRIPE_CREDIT_PRICES}
 * ({@code price_id:credits[:days]}, comma-separated) or, where a line carries the expanded price, says so in its
 * {@code metadata.sluice_credits} (and {@code sluice_credit_days}): since API version basil a line names its price
 * only by id. Runs with the account's row lock held by the caller ({@link StripeLinks}).
 */
@ApplicationScoped
class StripeTopUps {

    static final String CREDIT_NOTE_CREATED = "credit_note.created";

    /** What one unit of a credit price buys, and for how many days (null: no expiry). */
    record CreditPrice(long credits, Integer days) {
    }

    private final Map<String, CreditPrice> listed;

    @Inject
    CreditService credits;
    @Inject
    AuditLog audit;

    @Inject
    StripeTopUps(StripeConfig config) {
        listed = parse(config.stripeCreditPrices().orElse(""));
    }

    /** The top-up part of an event, if it has one. */
    Optional<StripeOutcome> apply(Account account, StripeEvent event) {
        return switch (event.type()) {
            case "invoice.paid" -> grant(account, event);
            case CREDIT_NOTE_CREATED -> Optional.of(creditNote(account, event));
            default -> Optional.empty();
        };
    }

    private Optional<StripeOutcome> grant(Account account, StripeEvent event) {
        Invoice invoice = ApiResource.GSON.fromJson(event.object().toString(), Invoice.class);
        long total = 0;
        Integer days = null;
        if (invoice.getLines() != null) {
            for (InvoiceLineItem line : invoice.getLines().getData()) {
                Optional<CreditPrice> price = creditPrice(line);
                if (price.isPresent()) {
                    long quantity = line.getQuantity() == null ? 1 : line.getQuantity();
                    total = Math.addExact(total, Math.multiplyExact(quantity, price.get().credits()));
                    // One grant per invoice: lines of different terms expire with the shortest.
                    Integer lineDays = price.get().days();
                    if (lineDays != null && (days == null || lineDays < days)) {
                        days = lineDays;
                    }
                }
            }
        }
        if (total == 0) {
            return Optional.empty();
        }
        if (total > CreditService.MAX_CREDITS) {
            audit.append(AuditLog.STRIPE, "grant.create", account.slug(), "invoice:" + invoice.getId(), "refused",
                    "credits=" + total + " over " + CreditService.MAX_CREDITS);
            return Optional.of(StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_PRICE));
        }
        Instant paidAt = Instant.ofEpochSecond(invoice.getStatusTransitions() != null
                && invoice.getStatusTransitions().getPaidAt() != null
                ? invoice.getStatusTransitions().getPaidAt() : event.created());
        Instant expiresAt = days == null ? null : paidAt.plus(Duration.ofDays(days));
        long amountPaid = invoice.getAmountPaid() == null ? 0 : invoice.getAmountPaid();
        CreditService.Added added = credits.addForInvoice(account, invoice.getId(), total, expiresAt, amountPaid);
        if (added.replayed()) {
            return Optional.of(StripeOutcome.of(StripeOutcome.Kind.CREDIT_REPLAYED));
        }
        audit.append(AuditLog.STRIPE, "grant.create", account.slug(), "grant:" + added.grant().id(), AuditLog.OK,
                "invoice=" + invoice.getId() + " credits=" + total);
        return Optional.of(StripeOutcome.of(StripeOutcome.Kind.CREDIT_GRANTED));
    }

    private StripeOutcome creditNote(Account account, StripeEvent event) {
        CreditNote note = ApiResource.GSON.fromJson(event.object().toString(), CreditNote.class);
        long amount = note.getAmount() == null ? 0 : note.getAmount();
        if (note.getInvoice() == null || amount <= 0
                || !credits.voidForCreditNote(account, note.getInvoice(), amount)) {
            return StripeOutcome.of(StripeOutcome.Kind.NO_TOP_UP);
        }
        audit.append(AuditLog.STRIPE, "grant.void", account.slug(), "invoice:" + note.getInvoice(), AuditLog.OK,
                "credit_note=" + note.getId() + " amount=" + amount);
        return StripeOutcome.of(StripeOutcome.Kind.CREDIT_VOIDED);
    }

    /** The line's credit price: listed by its price id, or described by the expanded price's metadata. */
    private Optional<CreditPrice> creditPrice(InvoiceLineItem line) {
        if (line.getPricing() == null || line.getPricing().getPriceDetails() == null) {
            return Optional.empty();
        }
        InvoiceLineItem.Pricing.PriceDetails details = line.getPricing().getPriceDetails();
        CreditPrice configured = listed.get(details.getPrice());
        if (configured != null) {
            return Optional.of(configured);
        }
        Price expanded = details.getPriceObject();
        if (expanded == null || expanded.getMetadata() == null) {
            return Optional.empty();
        }
        String perUnit = expanded.getMetadata().get("sluice_credits");
        String days = expanded.getMetadata().get("sluice_credit_days");
        try {
            return perUnit == null ? Optional.empty()
                    : Optional.of(creditPrice(perUnit, days)).filter(p -> p.credits() > 0);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code STRIPE_CREDIT_PRICES}: a malformed entry stops the service at start, as any bad setting does. */
    static Map<String, CreditPrice> parse(String setting) {
        Map<String, CreditPrice> prices = new LinkedHashMap<>();
        for (String entry : setting.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.trim().split(":");
            if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty()) {
                throw new IllegalArgumentException("STRIPE_CREDIT_PRICES: '" + entry.trim()
                        + "' is not price_id:credits[:days]");
            }
            CreditPrice price = creditPrice(parts[1], parts.length == 3 ? parts[2] : null);
            if (price.credits() <= 0) {
                throw new IllegalArgumentException("STRIPE_CREDIT_PRICES: '" + entry.trim() + "' grants no credits");
            }
            prices.put(parts[0], price);
        }
        return prices;
    }

    private static CreditPrice creditPrice(String credits, String days) {
        Integer validDays = days == null ? null : Integer.valueOf(days.trim());
        if (validDays != null && validDays <= 0) {
            throw new IllegalArgumentException("days must be positive");
        }
        return new CreditPrice(Long.parseLong(credits.trim()), validDays);
    }
}
