package dev.sluice.web;

import java.io.IOException;
import java.io.PushbackInputStream;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

/**
 * Every JSON body the API reads into a record is an object: {@code null}, {@code []} or {@code "x"} is a 400, not
 * "no body" (a {@code null} must never open a tunnel with defaults). An absent body is left to the resource.
 */
@Provider
public class JsonObjectBodies implements ReaderInterceptor {

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        MediaType type = context.getMediaType();
        if (context.getType() == String.class || type == null || !MediaType.APPLICATION_JSON_TYPE.isCompatible(type)) {
            return context.proceed();
        }
        PushbackInputStream body = new PushbackInputStream(context.getInputStream(), 1);
        int first;
        do {
            first = body.read();
        } while (first == ' ' || first == '\t' || first == '\n' || first == '\r');
        if (first != -1) {
            if (first != '{') {
                throw SluiceException.validation(null, "The request body must be a JSON object.");
            }
            body.unread(first);
        }
        context.setInputStream(body);
        return context.proceed();
    }
}
