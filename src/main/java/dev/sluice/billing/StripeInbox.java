package dev.sluice.billing;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.billing.StripeWebhookResource.StoredEvent;

/** The {@code stripe_event} table: every event once by id, in receipt order ({@code seq}), with its outcome. */
@ApplicationScoped
class StripeInbox {

    @Inject
    EntityManager em;
    @Inject
    ObjectMapper json;

    /** Stores the event; false if its id is already stored (a duplicate delivery). */
    @Transactional(Transactional.TxType.MANDATORY)
    boolean store(StripeEvent event, String payload) {
        return em.createNativeQuery("""
                insert into stripe_event (event_id, type, created, customer, subscription, outcome, payload)
                values (:id, :type, :created, :customer, :subscription, 'received', cast(:payload as jsonb))
                on conflict (event_id) do nothing""")
                .setParameter("id", event.id()).setParameter("type", event.type())
                .setParameter("created", event.created()).setParameter("customer", event.customer())
                .setParameter("subscription", event.subscription()).setParameter("payload", payload)
                .executeUpdate() == 1;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    void record(String eventId, StripeOutcome outcome) {
        em.createNativeQuery("update stripe_event set outcome = :outcome where event_id = :id")
                .setParameter("outcome", outcome.wire()).setParameter("id", eventId).executeUpdate();
    }

    /** The customer's kept events, in the order they are to be applied: by {@code created}, then receipt. */
    @Transactional(Transactional.TxType.MANDATORY)
    List<StripeEvent> unlinked(String customer) {
        @SuppressWarnings("unchecked")
        List<String> payloads = em.createNativeQuery("""
                select payload::text from stripe_event
                 where customer = :customer and outcome = :unlinked
                 order by created, seq""")
                .setParameter("customer", customer)
                .setParameter("unlinked", StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_CUSTOMER).wire())
                .getResultList();
        return payloads.stream().map(this::parse).toList();
    }

    List<StoredEvent> recent() {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select event_id, type, created, customer, outcome from stripe_event
                 order by received_at desc, event_id limit 200""", Tuple.class).getResultList();
        return rows.stream().map(r -> new StoredEvent((String) r.get("event_id"), (String) r.get("type"),
                ((Number) r.get("created")).longValue(), (String) r.get("customer"), (String) r.get("outcome")))
                .toList();
    }

    private StripeEvent parse(String payload) {
        try {
            return StripeEvent.of(json.readTree(payload));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stripe_event.payload is JSON that was parsed once already", e);
        }
    }
}
