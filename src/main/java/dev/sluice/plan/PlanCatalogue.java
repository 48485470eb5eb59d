package dev.sluice.plan;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;

import org.eclipse.microprofile.config.ConfigProvider;

import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

/**
 * The plan catalogue, read from the {@code plan} table (the same rows the lease function enforces in SQL) once
 * and kept: it changes only with a migration.
 */
@ApplicationScoped
public class PlanCatalogue {

    private final EntityManager em;
    private final String upgradeUrl;
    private volatile List<PlanLimits> plans;

    public PlanCatalogue(EntityManager em, PlanConfig config) {
        this.em = em;
        this.upgradeUrl = config.upgradeUrl();
    }

    /** Where refusals that a bigger plan would lift send the customer ({@code UPGRADE_URL}). */
    public String upgradeUrl() {
        return upgradeUrl;
    }

    /** All plans, cheapest first. */
    public List<PlanLimits> all() {
        List<PlanLimits> known = plans;
        if (known == null) {
            @SuppressWarnings("unchecked")
            List<Tuple> rows = em.createNativeQuery("""
                    select plan_id, name, rank, tunnels, password_tunnels, reserved_subdomains, requests_per_minute,
                           workers, inactivity_timeout_seconds, bytes_per_7d, session_seconds_per_24h
                      from plan order by rank""", Tuple.class).getResultList();
            known = rows.stream().map(r -> new PlanLimits((String) r.get("plan_id"), (String) r.get("name"),
                    num(r, "rank").intValue(), num(r, "tunnels").intValue(), nullableInt(r, "password_tunnels"),
                    num(r, "reserved_subdomains").intValue(), num(r, "requests_per_minute").intValue(),
                    num(r, "workers").intValue(), nullableInt(r, "inactivity_timeout_seconds"),
                    num(r, "bytes_per_7d").longValue(), num(r, "session_seconds_per_24h").longValue())).toList();
            plans = known;
        }
        return known;
    }

    public PlanLimits get(String id) {
        return all().stream().filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalStateException("plan " + id + " is not in the catalogue"));
    }

    /** The contract's TUNNEL_LIMIT_REACHED message, built from the catalogue. */
    public String tunnelLimitMessage(PlanLimits plan) {
        String message = plan.name() + " plan limited to " + plan.tunnels() + " tunnel" + (plan.tunnels() == 1 ? "" : "s")
                + ".";
        List<PlanLimits> higher = all().stream().filter(p -> p.rank() > plan.rank() && p.tunnels() > plan.tunnels())
                .toList();
        if (!higher.isEmpty()) {
            message += " Upgrade to " + higher.stream().map(p -> p.name() + " for " + p.tunnels())
                    .collect(Collectors.joining(" or ")) + ".";
        }
        return message;
    }

    /** PLAN_LIMIT_REACHED, in the contract's words, for password tunnels, reserved subdomains or workers. */
    public SluiceException planLimit(PlanLimits plan, int cap, String what) {
        return new SluiceException(403, ErrorCode.PLAN_LIMIT_REACHED, "Your " + plan.id() + " plan allows " + cap + " "
                + what + "(s). Upgrade for more.", java.util.Map.of("upgradeUrl", upgradeUrl), java.util.Map.of());
    }

    private static Number num(Tuple row, String column) {
        return (Number) row.get(column);
    }

    private static Integer nullableInt(Tuple row, String column) {
        Number value = num(row, column);
        return value == null ? null : value.intValue();
    }

    /** The Stripe prices listed for a plan in {@code STRIPE_PRICE_<PLAN>} (comma-separated). */
    public List<String> stripePriceIds(String planId) {
        Optional<String> listed = ConfigProvider.getConfig().getOptionalValue("stripe-price-" + planId, String.class);
        return listed.map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
    }
}
