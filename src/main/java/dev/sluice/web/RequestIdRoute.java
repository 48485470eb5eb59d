package dev.sluice.web;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.ext.web.Router;

/**
 * Gives every request, REST or not (health, metrics), a request id: the caller's {@code X-Request-Id} when it is
 * safe to log, otherwise a fresh one. It goes into the log MDC (Quarkus carries the MDC from the event loop to
 * the worker thread) and back in the response header.
 */
@Singleton
public class RequestIdRoute {

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String id = RequestIds.start(ctx.request().getHeader(RequestIds.HEADER));
            ctx.response().putHeader(RequestIds.HEADER, id);
            ctx.next();
        });
    }
}
