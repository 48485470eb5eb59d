package dev.sluice.auth;

import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.sluice.web.SluiceException;

/** Authenticates and authorises every {@link Access}-annotated call before its body is deserialised. */
public class AccessFilter {

    @Inject
    Caller caller;

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public void check(ResourceInfo resource, UriInfo uri) {
        Access access = resource.getResourceMethod() == null ? null
                : resource.getResourceMethod().getAnnotation(Access.class);
        if (access == null) {
            return;
        }
        switch (access.value()) {
            case ROOT -> caller.requireRoot();
            case MANAGER -> caller.requireManagerOf(uri.getPathParameters().getFirst("slug"));
            case ROOT_OR_SERVICE -> require(caller.principal(), Principal.Kind.ROOT, Principal.Kind.SERVICE);
            case API -> require(caller.spendingPrincipal(), Principal.Kind.API);
            case REPORT -> require(caller.reportingPrincipal(), Principal.Kind.API);
            case ACCOUNT_TOKEN -> require(caller.principal(), Principal.Kind.API, Principal.Kind.SERVICE);
            case ANY_TOKEN -> require(caller.principal(), Principal.Kind.ROOT, Principal.Kind.API,
                    Principal.Kind.SERVICE);
            case SERVICE -> require(caller.principal(), Principal.Kind.SERVICE);
        }
    }

    private static void require(Principal principal, Principal.Kind... allowed) {
        for (Principal.Kind kind : allowed) {
            if (principal.kind() == kind) {
                return;
            }
        }
        throw SluiceException.forbidden("This token's tier may not make this call.");
    }
}
