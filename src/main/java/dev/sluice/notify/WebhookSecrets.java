package dev.sluice.notify;

import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;

import org.jboss.logging.Logger;

import dev.sluice.secret.SecretsKey;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;

/**
 * Endpoint secrets at rest: sealed with {@link SecretsKey}, bound to their endpoint. At start-up, rows still in
 * clear (written before schema V7) are sealed and rows sealed with {@code SECRETS_KEY_PREVIOUS} are re-sealed with
 * {@code SECRETS_KEY}, so the previous key can be dropped after one restart.
 */
@ApplicationScoped
public class WebhookSecrets {

    private static final Logger LOG = Logger.getLogger(WebhookSecrets.class);

    @Inject
    EntityManager em;
    @Inject
    SecretsKey key;

    public String seal(UUID endpointId, String secret) {
        return key.seal(secret, context(endpointId));
    }

    /** The signing secret of a row: its sealed value opened, or the clear one a row from before V7 still has. */
    public String open(UUID endpointId, String sealed, String clear) {
        return sealed == null ? clear : key.open(sealed, context(endpointId));
    }

    void sealAtStartup(@Observes StartupEvent event) {
        int sealed = sealStoredSecrets();
        if (sealed > 0) {
            LOG.infof("sealed %d webhook endpoint secret(s) with the current SECRETS_KEY", sealed);
        }
    }

    /**
     * Seals what is in clear or under the previous key; returns how many rows it sealed. Which accounts have such
     * rows is read without locks; each account's rows are then sealed in a transaction of their own, taken
     * {@code FOR UPDATE SKIP LOCKED} (one account's rows, so one shard on Citus), so replicas starting together split
     * the rows and no row is sealed twice at once.
     */
    int sealStoredSecrets() {
        @SuppressWarnings("unchecked")
        List<Object> accounts = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery("""
                select distinct account_id from webhook_endpoint
                 where secret is not null or secret_ciphertext not like :current""")
                .setParameter("current", key.currentPrefix() + "%").getResultList());
        int sealed = 0;
        for (Object account : accounts) {
            sealed += QuarkusTransaction.requiringNew().call(() -> sealStoredSecrets(((Number) account).longValue()));
        }
        return sealed;
    }

    private int sealStoredSecrets(long accountId) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select account_id, endpoint_id, secret, secret_ciphertext from webhook_endpoint
                 where account_id = :account and (secret is not null or secret_ciphertext not like :current)
                 for update skip locked""", Tuple.class)
                .setParameter("account", accountId).setParameter("current", key.currentPrefix() + "%")
                .getResultList();
        int sealed = 0;
        for (Tuple r : rows) {
            UUID endpointId = (UUID) r.get("endpoint_id");
            String secret;
            try {
                secret = open(endpointId, (String) r.get("secret_ciphertext"), (String) r.get("secret"));
            } catch (IllegalStateException e) {
                // A lost key must not keep the whole service down: this endpoint's deliveries fail and say why.
                LOG.warnf("webhook endpoint %s: its secret does not open (%s)", endpointId, e.getMessage());
                continue;
            }
            sealed++;
            em.createNativeQuery("""
                    update webhook_endpoint set secret = null, secret_ciphertext = :sealed
                     where account_id = :account and endpoint_id = :id""")
                    .setParameter("sealed", seal(endpointId, secret)).setParameter("account", r.get("account_id"))
                    .setParameter("id", endpointId).executeUpdate();
        }
        return sealed;
    }

    private static String context(UUID endpointId) {
        return "webhook_endpoint:" + endpointId;
    }
}
