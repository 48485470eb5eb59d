package dev.sluice.auth;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;

import dev.sluice.audit.AuditLog;
import dev.sluice.audit.AuditTrail;
import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;

/**
 * The authenticated caller of the current request, resolved on first use, and the authorisation rules of §2 and
 * §4. A service token that names another slug is refused before the slug is looked up, so it cannot learn
 * whether that account exists.
 */
@RequestScoped
public class Caller {

    @Inject
    HttpHeaders headers;
    @Inject
    Authenticator authenticator;
    @Inject
    AuditTrail auditTrail;

    private Principal principal;

    public Principal principal() {
        if (principal == null) {
            adopt(authenticator.authenticate(headers.getHeaderString(HttpHeaders.AUTHORIZATION)));
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

    private void adopt(Principal authenticated) {
        principal = authenticated;
        auditTrail.actor(new AuditLog.Actor(principal.actorKind(), principal.actorId()), principal.slug());
        if (principal.slug() != null) {
            RequestIds.tenant(principal.slug());
        }
    }

    /**
     * The principal of a call that spends: §5 checks that the account is active before the token, so an api token
     * naming a suspended account is 403 {@code ACCOUNT_SUSPENDED} even when the token itself would be refused.
     */
    public Principal spendingPrincipal() {
        try {
            return principal();
        } catch (SluiceException refused) {
            if (refused.status() == 401 && authenticator.namesSuspendedAccount(
                    headers.getHeaderString(HttpHeaders.AUTHORIZATION))) {
                throw accountSuspended();
            }
            throw refused;
        }
    }

    public static SluiceException accountSuspended() {
        return new SluiceException(403, "ACCOUNT_SUSPENDED", "The account is suspended.");
    }

    public Principal requireRoot() {
        Principal p = principal();
        if (!p.isRoot()) {
            throw SluiceException.forbidden("This operation needs the root token.");
        }
        return p;
    }

    /** Root, or the service token of {@code slug} ({@code svc*} in §4). */
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
