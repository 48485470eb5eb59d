package dev.sluice.billing;

import static dev.sluice.Api.asRoot;
import static dev.sluice.billing.StripeFixtures.JSON;
import static dev.sluice.billing.StripeFixtures.SPEC;
import static dev.sluice.billing.StripeFixtures.linkedCustomer;
import static dev.sluice.billing.StripeFixtures.randomId;
import static dev.sluice.billing.StripeFixtures.send;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.model.CreditNote;
import com.stripe.model.Invoice;
import com.stripe.model.InvoiceLineItem;
import com.stripe.model.Price;
import com.stripe.net.ApiResource;

import dev.sluice.billing.StripeFixtures.Customer;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Prepaid credit bought through Stripe (contract §11): Stripe's own invoice.json, read into stripe-java's models and
 * re-addressed, paid with credit prices named by id (STRIPE_CREDIT_PRICES in the test profile:
 * price_credits_1k:1000, price_credits_month:500:30) or by an expanded price's metadata; one grant per invoice
 * however often Stripe sends it, and credit notes void in proportion.
 */
@QuarkusTest
class StripeTopUpTest {

    @Test
    void aPaidTopUpInvoiceGrantsOnceAndACreditNoteVoidsItsShare() throws Exception {
        Customer c = linkedCustomer("free");
        asRoot().body(Map.of("funding", "prepaid")).patch("/admin/accounts/" + c.slug()).then().statusCode(200);
        Invoice invoice = topUp(c, 10_000L);
        // 3 x price_credits_1k (no expiry) and 2 x an expanded price worth 250 credits for 7 days: 3500 credits,
        // expiring with the shorter term.
        InvoiceLineItem byId = invoice.getLines().getData().get(0);
        byId.setQuantity(3L);
        byId.getPricing().setPriceDetails(details("price_credits_1k", null));
        InvoiceLineItem expanded = ApiResource.GSON.fromJson(ApiResource.GSON.toJson(byId), InvoiceLineItem.class);
        expanded.setId(randomId("il_"));
        expanded.setQuantity(2L);
        Price price = new Price();
        price.setId(randomId("price_"));
        price.setMetadata(Map.of("sluice_credits", "250", "sluice_credit_days", "7"));
        expanded.getPricing().setPriceDetails(details(null, price));
        invoice.getLines().setData(List.of(byId, expanded));
        long paidAt = Instant.now().getEpochSecond();

        String paid = event("invoice.paid", invoice, paidAt);
        send(paid).then().statusCode(200).body("outcome", equalTo("credit_granted"));
        send(paid).then().statusCode(200).body("outcome", equalTo("duplicate"));
        send(event("invoice.paid", invoice, paidAt + 5)).then().statusCode(200)
                .body("outcome", equalTo("credit_replayed"));
        String grants = "/admin/accounts/" + c.slug() + "/grants";
        asRoot().get(grants).then().statusCode(200).body("grants", hasSize(1))
                .body("grants[0].credits", equalTo(3500)).body("grants[0].source", equalTo("stripe"))
                .body("grants[0].category", equalTo("paid"))
                .body("grants[0].expiresAt", equalTo(Instant.ofEpochSecond(paidAt).plus(Duration.ofDays(7))
                        .toString()));
        asRoot().get("/admin/accounts/" + c.slug() + "/usage").then().body("balance.remaining", equalTo(3500));

        // Half the amount paid is credited back: half of what the grant still holds is voided.
        send(creditNote(c, invoice.getId(), 5_000L)).then().statusCode(200)
                .body("outcome", equalTo("credit_voided"));
        asRoot().get(grants).then().body("grants[0].remaining", equalTo(1750));
        asRoot().queryParam("limit", 1).get("/admin/accounts/" + c.slug() + "/ledger").then()
                .body("entries[0].kind", equalTo("void")).body("entries[0].credits", equalTo(-1750))
                .body("entries[0].balance", equalTo(1750));
        send(creditNote(c, randomId("in_"), 5_000L)).then().statusCode(200).body("outcome", equalTo("no_top_up"));
        // A credit note for the rest voids the rest; one more finds the grant ended.
        send(creditNote(c, invoice.getId(), 20_000L)).then().body("outcome", equalTo("credit_voided"));
        send(creditNote(c, invoice.getId(), 1_000L)).then().body("outcome", equalTo("no_top_up"));
        asRoot().get("/admin/accounts/" + c.slug() + "/usage").then().body("balance.remaining", equalTo(0));
        asRoot().queryParam("account", c.slug()).get("/admin/audit").then()
                .body("entries.findAll { it.action == 'grant.create' }", hasSize(1))
                .body("entries.findAll { it.action == 'grant.void' }", hasSize(2));
    }

    @Test
    void anInvoiceWithoutCreditPricesGrantsNothing() throws Exception {
        Customer c = linkedCustomer("free");
        Invoice invoice = topUp(c, 500L);
        invoice.getLines().getData().get(0).getPricing().setPriceDetails(details("price_unrelated", null));
        send(event("invoice.paid", invoice, Instant.now().getEpochSecond())).then().statusCode(200)
                .body("outcome", equalTo("other_subscription"));
        asRoot().get("/admin/accounts/" + c.slug() + "/grants").then().body("grants", hasSize(0));
    }

    @Test
    void aMalformedCreditPriceSettingIsRefused() {
        assertEquals(Map.of("a", new StripeTopUps.CreditPrice(10, null), "b", new StripeTopUps.CreditPrice(5, 30)),
                StripeTopUps.parse(" a:10 , b:5:30,"));
        for (String bad : List.of("a", "a:b", "a:0", "a:1:0", ":5", "a:1:2:3", "a:-4")) {
            assertThrows(IllegalArgumentException.class, () -> StripeTopUps.parse(bad), bad);
        }
    }

    /** Stripe's invoice.json as a paid one-off invoice of the customer: no subscription. */
    private static Invoice topUp(Customer c, long amountPaid) throws Exception {
        Invoice invoice = ApiResource.GSON.fromJson(Files.readString(SPEC.resolve("invoice.json")), Invoice.class);
        invoice.setId(randomId("in_"));
        invoice.setCustomer(c.customer());
        invoice.setParent(null);
        invoice.setStatus("paid");
        invoice.setAmountPaid(amountPaid);
        return invoice;
    }

    private static InvoiceLineItem.Pricing.PriceDetails details(String priceId, Price expanded) {
        InvoiceLineItem.Pricing.PriceDetails details = new InvoiceLineItem.Pricing.PriceDetails();
        if (expanded != null) {
            details.setPriceObject(expanded);
        } else {
            details.setPrice(priceId);
        }
        return details;
    }

    private static String creditNote(Customer c, String invoiceId, long amount) throws Exception {
        CreditNote note = new CreditNote();
        note.setId(randomId("cn_"));
        note.setObject("credit_note");
        note.setCustomer(c.customer());
        note.setInvoice(invoiceId);
        note.setAmount(amount);
        note.setCurrency("usd");
        note.setStatus("issued");
        return event("credit_note.created", note, Instant.now().getEpochSecond());
    }

    private static String event(String type, Object object, long created) throws Exception {
        return StripeFixtures.event(type, (ObjectNode) JSON.readTree(ApiResource.GSON.toJson(object)), created);
    }
}
