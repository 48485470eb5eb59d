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
            case ROOT_OR_SERVICE -> {
                if (!caller.principal().isRoot() && caller.principal().kind() != Principal.Kind.SERVICE) {
                    throw SluiceException.forbidden("This operation needs the root or a service token.");
                }
            }
        }
    }
}
