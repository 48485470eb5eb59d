package dev.sluice.web;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * The first handler of every request, REST or not (health, metrics): gives it a request id (the caller's
 * {@code X-Request-Id} when it is safe to log, otherwise a fresh one) in the log MDC, which Quarkus carries from the
 * event loop to the worker thread, and in the response header; and answers a declared body above every limit with
 * the contract's JSON 413 before Vert.x would buffer it.
 */
@Singleton
public class RequestIdRoute {

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String id = RequestIds.start(ctx.request().getHeader(RequestIds.HEADER));
            ctx.response().putHeader(RequestIds.HEADER, id);
            String length = ctx.request().getHeader("Content-Length");
            if (length != null && length.length() < 19 && length.chars().allMatch(Character::isDigit)
                    && Long.parseLong(length) > PayloadLimits.STRIPE_LIMIT) {
                SluiceException tooLarge = PayloadLimits.tooLarge();
                ctx.response().setStatusCode(tooLarge.status()).putHeader("Content-Type", "application/json")
                        .putHeader("Connection", "close")
                        .end(new JsonObject(ErrorMapper.body(tooLarge, id)).encode());
                return;
            }
            ctx.next();
        });
    }
}
