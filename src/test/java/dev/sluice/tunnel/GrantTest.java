package dev.sluice.tunnel;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** The grant verifies offline against the published JWKS with a JOSE library, as an edge would. */
@QuarkusTest
class GrantTest {

    @Test
    void theGrantIsAnEs256JwtVerifiableWithTheJwks() throws Exception {
        Relay relay = Relay.create("grant", Map.of("plan", "pro", "dayLimit", 10_000));
        Response registered = relay.register(Map.of("password", true));
        String grant = registered.path("grant");
        String jwks = given().get("/.well-known/jwks.json").then().statusCode(200).extract().asString();
        JwtConsumer consumer = new JwtConsumerBuilder()
                .setVerificationKeyResolver(new JwksVerificationKeyResolver(new JsonWebKeySet(jwks).getJsonWebKeys()))
                .setExpectedIssuer("sluice")
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setJwsAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.ConstraintType.PERMIT, "ES256")
                .build();
        JwtClaims claims = consumer.processToClaims(grant);
        assertEquals(registered.path("id"), claims.getSubject());
        assertEquals(relay.slug(), claims.getClaimValue("acct"));
        assertEquals("pro", claims.getClaimValue("plan"));
        assertEquals(registered.path("subdomain"), claims.getClaimValue("subdomain"));
        assertEquals(1000L, claims.getClaimValue("rpm"));
        assertEquals(true, claims.getClaimValue("pwd"));
        long lifetime = claims.getExpirationTime().getValue() - claims.getIssuedAt().getValue();
        assertTrue(lifetime > 0 && lifetime <= 900, "exp is at most 15 minutes after iat");

        String tampered = grant.substring(0, grant.lastIndexOf('.') - 2) + "xx" + grant.substring(grant.lastIndexOf('.'));
        assertThrows(InvalidJwtException.class, () -> consumer.processToClaims(tampered));
    }
}
