package dev.sluice.auth;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;

import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * The authenticated caller of the current request, resolved on first use, and who may call what
 * (root, the service token of a slug, api tokens). A service token that names another slug is refused before the slug is looked up, so it cannot learn
 * whether that account exists.
 */
@RequestScoped
public class Caller {

    @Inject
    HttpHeaders headers;
    @Inject
    Authenticator authenticator;
    /** The request as Quarkus resolved it: its remote address honours forwarding headers from trusted proxies only. */
    @Inject
    HttpServerRequest request;

    private Principal principal;

    /** The caller if this request has authenticated already; never authenticates (for the audit trail). */
    public java.util.Optional<Principal> authenticated() {
        return java.util.Optional.ofNullable(principal);
    }

    public Principal principal() {
        if (principal == null) {
            adopt(authenticator.authenticate(headers.getHeaderString(HttpHeaders.AUTHORIZATION), clientHost()));
        }
        return principal;
    }

    /**
     * The principal of a report (lease or close): a live api token, or a revoked or expired one, which may still
     * report on the tunnels it registered so that what its relay served is charged. No suspension check: a
     * suspended account's tunnels are closed, so their reports are charged and answered 410.
     */
    public Principal reportingPrincipal() {
        if (principal != null) {
            return principal;
        }
        try {
            return principal();
        } catch (SluiceException refused) {
            if (refused.status() != 401) {
                throw refused;
            }
            adopt(authenticator.authenticateDeadApiToken(headers.getHeaderString(HttpHeaders.AUTHORIZATION))
                    .orElseThrow(() -> refused));
            return principal;
        }
    }

    /**
     * The client's address as Quarkus resolved it; a forwarded value that is no IP literal (a proxy's
     * {@code unknown}) has no {@code hostAddress}, and counts as itself.
     */
    private String clientHost() {
        SocketAddress remote = request.remoteAddress();
        if (remote == null) {
            return null;
        }
        return remote.hostAddress() != null ? remote.hostAddress() : remote.host();
    }

    private void adopt(Principal authenticated) {
        principal = authenticated;
        if (principal.slug() != null) {
            RequestIds.tenant(principal.slug());
        }
    }

    /**
     * The principal of a registration, which checks that the account is active before the token, so an api token
     * naming a suspended account is 403 {@code ACCOUNT_SUSPENDED} even when the token itself would be refused.
     */
    public Principal spendingPrincipal() {
        try {
            return principal();
        } catch (SluiceException refused) {
            if (refused.status() == 401 && authenticator.namesSuspendedAccount(
                    headers.getHeaderString(HttpHeaders.AUTHORIZATION))) {
                throw SluiceException.accountSuspended();
            }
            throw refused;
        }
    }


    public Principal requireRoot() {
        Principal p = principal();
        if (!p.isRoot()) {
            throw SluiceException.forbidden("This operation needs the root token.");
        }
        return p;
    }

    /** Root, or the service token of {@code slug} ({@code svc*} in the endpoint tables). */
    public Principal requireManagerOf(String slug) {
        Principal p = principal();
        if (p.isRoot()) {
            return p;
        }
        if (p.kind() != Principal.Kind.SERVICE || !p.slug().equals(slug)) {
            throw SluiceException.forbidden("This token may not manage that account.");
        }
        return p;
    }
}
