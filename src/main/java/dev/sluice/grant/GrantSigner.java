package dev.sluice.grant;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;

/** Signs a tunnel's grant: an ES256 JWT an edge verifies offline against the JWKS. */
@ApplicationScoped
public class GrantSigner {

    /** The contract allows at most 15 minutes; relays renew by leasing, not by re-registering. */
    static final Duration LIFETIME = Duration.ofMinutes(15);

    /** What the grant says about the tunnel. */
    public record Claims(String tunnelId, String account, String plan, String subdomain, int requestsPerMinute,
            boolean passwordProtected) {
    }

    private final SigningKeys keys;
    private final String issuer;

    public GrantSigner(SigningKeys keys, GrantConfig config) {
        this.keys = keys;
        this.issuer = config.grantIssuer();
    }

    public String sign(Claims claims, Instant now) {
        SigningKeys.SigningKey key = keys.current();
        return Jwt.issuer(issuer)
                .subject(claims.tunnelId())
                .claim("acct", claims.account())
                .claim("plan", claims.plan())
                .claim("subdomain", claims.subdomain())
                .claim("rpm", claims.requestsPerMinute())
                .claim("pwd", claims.passwordProtected())
                .issuedAt(now.getEpochSecond())
                .expiresAt(now.plus(LIFETIME).getEpochSecond())
                .jws().keyId(key.kid()).algorithm(SignatureAlgorithm.ES256)
                .sign(key.privateKey());
    }
}
