package dev.sluice.tunnel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sluice.PastRetention;
import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;

/**
 * The {@code Idempotency-Key} records of registrations (leases and closes keep theirs inside
 * {@code settle_tunnels}, in the same statement as their charge). A registration's record is written in the
 * transaction that opens the tunnel, under the account's credit lock, and looked up under that lock, so two
 * concurrent requests with one key open one tunnel.
 */
@ApplicationScoped
public class IdempotencyKeys {

    /** How long a registration's key answers: contract §5's 24 hours. */
    public static final Duration REMEMBERED = Duration.ofHours(24);

    @Inject
    EntityManager em;
    @Inject
    ObjectMapper json;

    /** The request as parsed, defaults filled in, so {@code {}} and {@code {"password":false}} are one request. */
    static String fingerprint(TunnelViews.RegisterRequest request) {
        return String.join("|", "register", String.valueOf(request.subdomain()),
                String.valueOf(Boolean.TRUE.equals(request.password())), String.valueOf(request.region()));
    }

    /** The first answer to a registration with this key, or empty if the key is new; 409 if it was used otherwise. */
    @Transactional(Transactional.TxType.MANDATORY)
    Optional<TunnelService.WithHeaders<TunnelViews.Registered>> registration(long accountId, String key,
            String fingerprint) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select kind, fingerprint, cast(result as text) as result from idempotency_key
                 where account_id = :account and idem_key = :key
                   and created_at > now() - make_interval(secs => :remembered)""", Tuple.class)
                .setParameter("account", accountId).setParameter("key", key)
                .setParameter("remembered", (double) REMEMBERED.toSeconds()).getResultList();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Tuple row = rows.get(0);
        if (!"register".equals(row.get("kind")) || !fingerprint.equals(row.get("fingerprint"))) {
            throw SluiceException.idempotencyConflict("This Idempotency-Key was used for another request.");
        }
        try {
            JsonNode first = json.readTree((String) row.get("result"));
            TunnelViews.Registered body = json.treeToValue(first.get("body"), TunnelViews.Registered.class);
            Map<String, String> headers = json.convertValue(first.get("headers"),
                    json.getTypeFactory().constructMapType(java.util.LinkedHashMap.class, String.class, String.class));
            headers.put(SluiceException.IDEMPOTENT_REPLAYED, "true");
            return Optional.of(new TunnelService.WithHeaders<>(body, headers));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an idempotency record could not be read", e);
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    void rememberRegistration(long accountId, String key, String fingerprint, UUID tunnelId,
            TunnelService.WithHeaders<TunnelViews.Registered> answer) {
        ObjectNode result = json.createObjectNode();
        result.set("body", json.valueToTree(answer.body()));
        result.set("headers", json.valueToTree(answer.headers()));
        result.put("requestId", RequestIds.current());
        // A record older than 24 h may still be there (purged by the retention rounds); this key starts afresh.
        em.createNativeQuery("""
                insert into idempotency_key (account_id, idem_key, kind, tunnel_id, fingerprint, result)
                values (:account, :key, 'register', :tunnel, :fingerprint, cast(:result as jsonb))
                on conflict (account_id, idem_key) do update
                   set kind = excluded.kind, tunnel_id = excluded.tunnel_id, fingerprint = excluded.fingerprint,
                       result = excluded.result, created_at = excluded.created_at""")
                .setParameter("account", accountId).setParameter("key", key).setParameter("tunnel", tunnelId)
                .setParameter("fingerprint", fingerprint).setParameter("result", result.toString())
                .executeUpdate();
    }

    /**
     * Forgets at most {@code batch} of the account's records older than a day, in one short transaction (the
     * retention round, off the hot path).
     */
    @Transactional
    public int purgeExpired(long accountId, int batch) {
        return PastRetention.purge(em, accountId, "idempotency_key", REMEMBERED, batch);
    }
}
