package dev.sluice.web;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The body size limits: 64 KiB for every endpoint, 1 MiB for the Stripe
 * webhook (whose events can be large). Bodies sent without a Content-Length are counted as they are read.
 */
public class PayloadLimits {

    static final int DEFAULT_LIMIT = 64 * 1024;
    static final int STRIPE_LIMIT = 1024 * 1024;

    static SluiceException tooLarge() {
        return new SluiceException(413, ErrorCode.PAYLOAD_TOO_LARGE, "The request body is too large.", Map.of(),
                Map.of());
    }

    @ServerRequestFilter
    public void limitBody(ContainerRequestContext request) throws IOException {
        int limit = request.getUriInfo().getPath().startsWith("/webhooks/stripe") ? STRIPE_LIMIT : DEFAULT_LIMIT;
        String declared = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > limit) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw SluiceException.validation(null, "Invalid Content-Length.");
            }
            return;
        }
        if (request.hasEntity()) {
            request.setEntityStream(new ByteArrayInputStream(readAtMost(request.getEntityStream(), limit)));
        }
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] body = in.readNBytes(limit + 1);
        if (body.length > limit) {
            throw tooLarge();
        }
        return body;
    }
}
