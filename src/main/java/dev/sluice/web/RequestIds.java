package dev.sluice.web;

import java.util.UUID;
import java.util.regex.Pattern;

import org.jboss.logging.MDC;

/** The request id and tenant (account slug) carried in the log MDC for every line of a request. */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    static final String MDC_REQUEST_ID = "requestId";
    static final String MDC_TENANT = "tenant";
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private RequestIds() {
    }

    /** Adopts a caller-supplied id when it is safe to log, otherwise mints one. */
    static String start(String supplied) {
        String id = supplied != null && ACCEPTED.matcher(supplied).matches() ? supplied : UUID.randomUUID().toString();
        MDC.put(MDC_REQUEST_ID, id);
        MDC.remove(MDC_TENANT);
        return id;
    }

    public static String current() {
        Object id = MDC.get(MDC_REQUEST_ID);
        return id == null ? null : id.toString();
    }

    /** Runs work with a request's id (none if null) in the MDC, on whatever thread finishes that request's work. */
    public static void during(String requestId, Runnable work) {
        Object before = MDC.get(MDC_REQUEST_ID);
        if (requestId == null) {
            MDC.remove(MDC_REQUEST_ID);
        } else {
            MDC.put(MDC_REQUEST_ID, requestId);
        }
        try {
            work.run();
        } finally {
            if (before == null) {
                MDC.remove(MDC_REQUEST_ID);
            } else {
                MDC.put(MDC_REQUEST_ID, before);
            }
        }
    }

    public static void tenant(String slug) {
        MDC.put(MDC_TENANT, slug);
    }
}
