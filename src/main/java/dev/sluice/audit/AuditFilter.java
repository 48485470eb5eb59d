package dev.sluice.audit;

import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Opens the audit trail of a request whose resource method is {@link Audited}. */
public class AuditFilter {

    @Inject
    AuditTrail trail;

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION - 10)
    public void begin(ResourceInfo resource, ContainerRequestContext request) {
        Audited audited = resource.getResourceMethod() == null ? null
                : resource.getResourceMethod().getAnnotation(Audited.class);
        if (audited != null) {
            trail.begin(audited.value(), request.getMethod() + " " + request.getUriInfo().getPath());
        }
    }
}
