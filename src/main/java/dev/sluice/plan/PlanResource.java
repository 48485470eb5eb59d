package dev.sluice.plan;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;


/** The plan catalogue the server enforces, published without authentication. */
@Path("/api/plans")
@Produces(MediaType.APPLICATION_JSON)
public class PlanResource {

    public record Stripe(List<String> lookupKeys, List<String> priceIds) {
    }

    public record PlanView(String id, String name, int tunnels, Integer passwordTunnels, int reservedSubdomains,
            int requestsPerMinute, int workers, Integer inactivityTimeoutSeconds, long bytesPer7d,
            long sessionSecondsPer24h, Stripe stripe) {
    }

    public record Catalogue(List<PlanView> plans) {
    }

    @Inject
    PlanCatalogue plans;

    @GET
    public Catalogue catalogue() {
        return new Catalogue(plans.all().stream().map(p -> new PlanView(p.id(), p.name(), p.tunnels(),
                p.passwordTunnels(), p.reservedSubdomains(), p.requestsPerMinute(), p.workers(),
                p.inactivityTimeoutSeconds(), p.bytesPer7d(), p.sessionSecondsPer24h(),
                new Stripe(List.of(p.id()), plans.stripePriceIds(p.id())))).toList());
    }
}
