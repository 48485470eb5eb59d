package dev.sluice.audit;

import jakarta.enterprise.context.RequestScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Reception;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import dev.sluice.auth.Caller;
import dev.sluice.auth.Principal;
import dev.sluice.web.RequestRefused;
import dev.sluice.web.SluiceException;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The audit entry of the current request's mutation. The action comes from {@link Audited} on the resource
 * method, the actor from the request's {@link Caller}; the service calls {@link #succeeded} inside its transaction, and the
 * error mapper's {@link RequestRefused} event is observed, so refused attempts (403, 409, 400...) are on record too.
 * A refusal is the caller's doing, so it goes in the caller's own log (root's has no account), its target the request
 * it made: a tenant cannot write into another tenant's log by naming it, nor leave entries for whoever takes a slug
 * later.
 */
@RequestScoped
public class AuditTrail {

    private static final Logger LOG = Logger.getLogger(AuditTrail.class);

    @Inject
    AuditLog log;
    @Inject
    Caller caller;

    private String action;
    private String requested;
    private boolean written;

    /** {@code requested}: the method and path, what a refusal's entry names as its target. */
    public void begin(String action, String requested) {
        this.action = action;
        this.requested = requested;
    }

    /** Who acted: the authenticated caller, if the request got that far. */
    private AuditLog.Actor actor() {
        return caller.authenticated().map(p -> new AuditLog.Actor(p.actorKind(), p.actorId())).orElse(null);
    }


    @Transactional(Transactional.TxType.MANDATORY)
    public void succeeded(String accountSlug, String target, String detail) {
        AuditLog.Actor actor = actor();
        if (action == null || actor == null) {
            throw new IllegalStateException("a mutation ran outside an @Audited, authenticated request");
        }
        log.append(actor, action, accountSlug, target, AuditLog.OK, detail);
        written = true;
    }

    void onRefused(@Observes(notifyObserver = Reception.IF_EXISTS) RequestRefused refused) {
        SluiceException error = refused.error();
        AuditLog.Actor actor = actor();
        if (action == null || actor == null || written || error.status() == 401 || error.status() == 429
                || error.status() >= 500) {
            return;
        }
        String account = caller.authenticated().map(Principal::slug).orElse(null);
        written = true;
        try {
            QuarkusTransaction.requiringNew()
                    .run(() -> log.append(actor, action, account, requested, error.code().name(), null));
        } catch (RuntimeException e) {
            LOG.warnf("could not record the refused %s in the audit log: %s", action, e.getMessage());
        }
    }
}
