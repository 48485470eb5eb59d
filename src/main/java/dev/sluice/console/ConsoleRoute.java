package dev.sluice.console;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.ext.web.Router;

/**
 * The console is static files under {@code META-INF/resources/console/}; this route only sends {@code /console}
 * to {@code /console/} (so relative asset paths resolve) and puts the security headers on every console response,
 * before the static handler serves it.
 */
@Singleton
public class ConsoleRoute {

    /** Nothing but this origin: no inline script or style, no third party, no framing, no form posts elsewhere. */
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    void install(@Observes Router router) {
        router.routeWithRegex("^/console(/.*)?$").order(Integer.MIN_VALUE + 1).handler(ctx -> {
            ctx.response().putHeader("Content-Security-Policy", CSP)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer")
                    // A new release's assets are picked up at once; they are small and served locally.
                    .putHeader("Cache-Control", "no-cache");
            if ("/console".equals(ctx.normalizedPath())) {
                ctx.response().setStatusCode(302).putHeader("Location", "/console/").end();
                return;
            }
            ctx.next();
        });
    }
}
