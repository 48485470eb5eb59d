package dev.sluice.web;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.validation.ValidationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.postgresql.util.PSQLException;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import io.agroal.api.AgroalDataSource;

/**
 * The one mapper: every failure becomes a {@link SluiceException} and is rendered as the contract's
 * {@code {"code", "message", ...extras}} body. Bad input is a 4xx with a human message that names the
 * field, never a stack trace or a class name; a lost database is 503 {@code UNAVAILABLE}; anything
 * else is logged with the request id and answered with a bare 500.
 */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @Inject
    Event<RequestRefused> refusals;
    @Inject
    AgroalDataSource dataSource;

    @ServerExceptionMapper({ Throwable.class, WebApplicationException.class, JsonProcessingException.class,
            MismatchedInputException.class, ValidationException.class })
    public Response map(Throwable thrown) {
        // A RequestFailure is always unwrapped, even one made where no request id was known.
        String answeredFor = thrown instanceof RequestFailure tagged ? tagged.requestId() : null;
        Throwable failure = thrown instanceof RequestFailure ? thrown.getCause() : thrown;
        SluiceException error = translate(failure);
        if (error.status() == 503 && databaseUnreachable(failure)) {
            // Pooled connections to a database that went away are dead; drop the idle ones so the first calls
            // after it returns get fresh connections instead of failing once more each.
            dataSource.flush(AgroalDataSource.FlushMode.IDLE);
        }
        String requestId = error.requestId() != null ? error.requestId()
                : answeredFor != null ? answeredFor : RequestIds.current();
        // Recorded under the request it answers, whichever thread renders an asynchronous answer.
        RequestIds.during(requestId, () -> refusals.fire(new RequestRefused(error)));
        Response.ResponseBuilder response = Response.status(error.status()).type(MediaType.APPLICATION_JSON)
                .entity(body(error, requestId));
        error.headers().forEach(response::header);
        return response.build();
    }

    /** The contract's error body: {@code code}, {@code message}, the code's extras, and the request id. */
    static Map<String, Object> body(SluiceException error, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", error.code().name());
        body.put("message", error.getMessage());
        body.putAll(error.extras());
        if (requestId != null) {
            body.put("requestId", requestId);
        }
        return body;
    }

    static SluiceException translate(Throwable failure) {
        if (failure instanceof SluiceException sluice) {
            return sluice;
        }
        if (failure instanceof JsonProcessingException json) {
            return fromJson(json);
        }
        if (failure instanceof ConstraintViolationException violations) {
            return fromViolations(violations);
        }
        if (failure instanceof WebApplicationException web) {
            return fromWeb(web);
        }
        if (failure instanceof java.io.IOException) {
            // The client went away or sent a broken body: its problem, not a server error.
            LOG.debugf("request body unreadable: %s", failure.getMessage());
            return SluiceException.validation(null, "The request body could not be read.");
        }
        if (databaseUnreachable(failure)) {
            LOG.warnf("database unreachable: %s", failure.getMessage());
            return SluiceException.unavailable();
        }
        SluiceException conflict = fromConstraint(failure);
        if (conflict != null) {
            return conflict;
        }
        LOG.error("unhandled failure", failure);
        return new SluiceException(500, ErrorCode.INTERNAL, "Internal error.");
    }

    private static SluiceException fromWeb(WebApplicationException web) {
        Throwable cause = web.getCause();
        if (cause instanceof JsonProcessingException json) {
            return fromJson(json);
        }
        int status = web.getResponse().getStatus();
        return switch (status) {
            case 401 -> SluiceException.unauthorized();
            case 403 -> SluiceException.forbidden("Forbidden.");
            case 404 -> SluiceException.notFound("No such resource.");
            case 413 -> PayloadLimits.tooLarge();
            default -> status >= 500
                    ? translateServerError(web)
                    : new SluiceException(status, ErrorCode.VALIDATION_FAILED, describe(status));
        };
    }

    private static SluiceException translateServerError(WebApplicationException web) {
        if (databaseUnreachable(web)) {
            return SluiceException.unavailable();
        }
        LOG.error("unhandled failure", web);
        return new SluiceException(500, ErrorCode.INTERNAL, "Internal error.");
    }

    private static String describe(int status) {
        return switch (status) {
            case 405 -> "Method not allowed on this path.";
            case 406 -> "No media type in Accept is one this path answers in.";
            case 415 -> "Request bodies must be application/json.";
            default -> "Bad request.";
        };
    }

    private static SluiceException fromJson(JsonProcessingException json) {
        String field = fieldOf(json);
        String message;
        if (json instanceof UnrecognizedPropertyException) {
            message = "Unknown field '" + field + "'.";
        } else if (json instanceof InputCoercionException) {
            message = "Number out of range" + (field == null ? "." : " for '" + field + "'.");
        } else if (json instanceof JsonParseException || json instanceof StreamReadException) {
            message = "Malformed JSON.";
        } else if (field != null) {
            message = "Invalid value for '" + field + "'.";
        } else {
            message = "The request body does not have the expected shape.";
        }
        return SluiceException.validation(field, message);
    }

    private static String fieldOf(JsonProcessingException json) {
        if (json instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            return mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : String.valueOf(ref.getIndex()))
                    .collect(Collectors.joining("."));
        }
        if (json instanceof StreamReadException read && read.getProcessor() != null) {
            try {
                return read.getProcessor().currentName();
            } catch (java.io.IOException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    private static SluiceException fromViolations(ConstraintViolationException violations) {
        ConstraintViolation<?> first = violations.getConstraintViolations().stream()
                .min(java.util.Comparator.comparing(v -> v.getPropertyPath().toString()))
                .orElse(null);
        if (first == null) {
            return SluiceException.validation(null, "Invalid request.");
        }
        String field = null;
        for (Path.Node node : first.getPropertyPath()) {
            if (node.getKind() == jakarta.validation.ElementKind.PROPERTY
                    || node.getKind() == jakarta.validation.ElementKind.PARAMETER) {
                field = node.getName();
            }
        }
        String message = field == null ? first.getMessage() : "'" + field + "' " + first.getMessage() + ".";
        return SluiceException.validation(field, message);
    }

    /**
     * What PostgreSQL refused as a conflict: a unique index lost in a race (checked first in the services, so only
     * a concurrent request gets here) is the contract's 409; a deadlock or serialisation failure is a 503 to retry.
     */
    private static SluiceException fromConstraint(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PSQLException psql && psql.getSQLState() != null) {
                String state = psql.getSQLState();
                if (state.startsWith("22")) {
                    // A data exception: a value PostgreSQL cannot take (a NUL, an out-of-range number) came from
                    // the request, since everything else is checked before it reaches the database.
                    LOG.debugf("the database refused a value of the request: %s", state);
                    return SluiceException.validation(null, "A value in the request cannot be stored.");
                }
                if (state.equals("40P01") || state.equals("40001")) {
                    LOG.warnf("transaction lost a lock race, answered 503: %s", state);
                    return new SluiceException(503, ErrorCode.UNAVAILABLE,
                            "A concurrent change won; retry the request.");
                }
                if (state.equals("23505")) {
                    String constraint = psql.getServerErrorMessage() == null ? ""
                            : String.valueOf(psql.getServerErrorMessage().getConstraint());
                    return constraint.contains("subdomain")
                            ? new SluiceException(409, ErrorCode.SUBDOMAIN_TAKEN, "That subdomain is taken.",
                                    Map.of("field", "subdomain"), Map.of())
                            : new SluiceException(409, ErrorCode.ACCOUNT_EXISTS,
                                    "That account or customer exists already.",
                                    Map.of("field", constraint.contains("stripe") ? "stripeCustomerId" : "slug"),
                                    Map.of());
                }
            }
        }
        return null;
    }

    private static boolean databaseUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof ConnectException
                    || t instanceof org.hibernate.exception.JDBCConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getMessage() != null
                    && sql.getMessage().contains("acquisition timeout")) {
                return true;
            }
        }
        return false;
    }
}
