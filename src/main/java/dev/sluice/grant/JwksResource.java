package dev.sluice.grant;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The public keys that verify grants; anyone may read them. */
@Path("/.well-known/jwks.json")
public class JwksResource {

    public record Jwks(List<Map<String, Object>> keys) {
    }

    @Inject
    SigningKeys keys;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Jwks jwks() {
        return new Jwks(keys.jwks());
    }
}
