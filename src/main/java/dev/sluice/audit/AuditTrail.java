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
 */
@RequestScoped
public class AuditTrail {

    private static final Logger LOG = Logger.getLogger(AuditTrail.class);

    @Inject
    AuditLog log;
    @Inject
    Caller caller;

    private String action;
    private String account;
    private boolean written;

    public void begin(String action, String account) {
        this.action = action;
        this.account = account;
    }

    /** Who acted: the authenticated caller, if the request got that far. */
    private AuditLog.Actor actor() {
        return caller.authenticated().map(p -> new AuditLog.Actor(p.actorKind(), p.actorId())).orElse(null);
    }

    /** The path's account, or else the caller's own. */
    private String account() {
        return account != null ? account : caller.authenticated().map(Principal::slug).orElse(null);
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
        if (action == null || actor == null || written || error.status() == 401 || error.status() >= 500) {
            return;
        }
        String account = account();
        written = true;
        try {
            QuarkusTransaction.requiringNew()
                    .run(() -> log.append(actor, action, account, null, error.code().name(), null));
        } catch (RuntimeException e) {
            LOG.warnf("could not record the refused %s in the audit log: %s", action, e.getMessage());
        }
    }
}
