package dev.sluice.audit;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import dev.sluice.web.SluiceException;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The audit entry of the current request's mutation. The action comes from {@link Audited} on the resource
 * method, the actor from authentication; the service calls {@link #succeeded} inside its transaction, and the
 * error mapper calls {@link #recordFailure}, so refused attempts (403, 409, 400...) are on record too.
 */
@RequestScoped
public class AuditTrail {

    private static final Logger LOG = Logger.getLogger(AuditTrail.class);

    @Inject
    AuditLog log;

    private String action;
    private String account;
    private AuditLog.Actor actor;
    private boolean written;

    public void begin(String action, String account) {
        this.action = action;
        this.account = account;
    }

    /** The authenticated caller; its own account is the entry's account when the path names none. */
    public void actor(AuditLog.Actor actor, String ownAccount) {
        this.actor = actor;
        if (account == null) {
            account = ownAccount;
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void succeeded(String accountSlug, String target, String detail) {
        if (action == null || actor == null) {
            throw new IllegalStateException("a mutation ran outside an @Audited, authenticated request");
        }
        log.append(actor, action, accountSlug, target, AuditLog.OK, detail);
        written = true;
    }

    public void recordFailure(SluiceException error) {
        if (action == null || actor == null || written || error.status() == 401 || error.status() >= 500) {
            return;
        }
        written = true;
        try {
            QuarkusTransaction.requiringNew().run(() -> log.append(actor, action, account, null, error.code(), null));
        } catch (RuntimeException e) {
            LOG.warnf("could not record the refused %s in the audit log: %s", action, e.getMessage());
        }
    }
}
