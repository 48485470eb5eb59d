package dev.sluice;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.RestAssuredRequest;
import com.atlassian.oai.validator.restassured.RestAssuredResponse;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;

/**
 * Drift fails the build: every answer a RestAssured test receives is checked against the document the running
 * service serves at {@code /q/openapi}, so a status, header or field the document does not describe is a test failure.
 * <p>
 * Requests are checked too, but only when the service accepted them (2xx): a request the service took must be one
 * the document allows, while tests that send garbage on purpose (and get a 4xx) are not checked against it.
 * <p>
 * The validator takes any status under an operation's {@code default} response; an operation's status must also be
 * one the document lists by its number, so that a generated client knows every answer it can get, but for HTTP's
 * own refusals of a request's form, which {@code default} names ({@link #UNDER_DEFAULT}).
 */
public final class DocumentedResponses implements Filter {

    /** What the document says, read once from the first request's server. */
    private record Document(OpenApiInteractionValidator validator, List<Operation> operations) {

        /** The operation the document describes for this request, the most literal path template first. */
        Optional<Operation> operationOf(String method, String path) {
            return operations.stream().filter(o -> o.method().equalsIgnoreCase(method))
                    .filter(o -> o.path().matcher(path).matches())
                    .min(Comparator.comparingInt(Operation::parameters));
        }
    }

    private record Operation(String method, String template, Pattern path, int parameters, Set<String> statuses) {
    }

    private static volatile Document document;

    /** A method, an Accept or a Content-Type the operation does not take: any operation may answer these. */
    static final Set<String> UNDER_DEFAULT = Set.of("405", "406", "415");
    static final String NDJSON = "application/x-ndjson";

    /** Installs the filter once for every RestAssured call of this class loader's tests. */
    public static synchronized void install() {
        if (RestAssured.filters().stream().noneMatch(DocumentedResponses.class::isInstance)) {
            RestAssured.filters(new DocumentedResponses());
        }
    }

    @Override
    public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification responseSpec,
            FilterContext context) {
        Response response = context.next(request, responseSpec);
        Document described = document(request.getURI());
        ValidationReport report = described.validator().validate(RestAssuredRequest.of(request),
                RestAssuredResponse.of(response));
        boolean accepted = response.statusCode() < 400;
        List<String> errors = new ArrayList<>(report.getMessages().stream()
                .filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                .filter(m -> accepted || !m.getKey().startsWith("validation.request"))
                // An NDJSON page with no line is an empty body; the validator reads any schema as needing one.
                .filter(m -> !(m.getKey().equals("validation.response.body.missing") && NDJSON.equals(
                        response.getContentType())))
                .map(m -> m.getKey() + ": " + m.getMessage() + m.getContext()
                        .map(c -> " " + c.getRequestPath().orElse("") + " " + c.getResponseStatus().orElse(0))
                        .orElse(""))
                .toList());
        String status = Integer.toString(response.statusCode());
        described.operationOf(request.getMethod(), URI.create(request.getURI()).getPath())
                .filter(operation -> !operation.statuses().contains(status) && !UNDER_DEFAULT.contains(status))
                .ifPresent(operation -> errors.add("status " + status + " is not listed for " + operation.method()
                        + " " + operation.template() + " (only under default)"));
        if (!errors.isEmpty()) {
            throw new AssertionError("The answer to " + request.getMethod() + " " + request.getURI() + " ("
                    + response.statusCode() + ") is not what /q/openapi describes:\n"
                    + errors.stream().map(e -> "  " + e).collect(Collectors.joining("\n"))
                    + "\nbody: " + response.asString());
        }
        return response;
    }

    private static Document document(String requestUri) {
        if (document == null) {
            synchronized (DocumentedResponses.class) {
                if (document == null) {
                    String json = fetchDocument(URI.create(requestUri).resolve("/q/openapi"));
                    OpenApiInteractionValidator validator = OpenApiInteractionValidator
                            .createForInlineApiSpecification(json)
                            // Paths the document does not describe (metrics, unknown URLs) are not part of the API.
                            .withLevelResolver(LevelResolver.create()
                                    .withLevel("validation.request.path.missing", ValidationReport.Level.IGNORE)
                                    // The service takes a missing body where every field has a default; the
                                    // document asks clients for `{}` (see ApiDescriptionFilter).
                                    .withLevel("validation.request.body.missing", ValidationReport.Level.IGNORE)
                                    .build())
                            .build();
                    document = new Document(validator, operations(json));
                }
            }
        }
        return document;
    }

    private static List<Operation> operations(String json) {
        List<Operation> operations = new ArrayList<>();
        try {
            new ObjectMapper().readTree(json).path("paths").fields().forEachRemaining(path -> path.getValue()
                    .fields().forEachRemaining(method -> {
                        Set<String> statuses = new HashSet<>();
                        method.getValue().path("responses").fieldNames().forEachRemaining(statuses::add);
                        String[] literals = path.getKey().split("\\{[^}]+}", -1);
                        operations.add(new Operation(method.getKey(), path.getKey(), Pattern.compile(Arrays
                                .stream(literals).map(Pattern::quote).collect(Collectors.joining("[^/]+"))),
                                literals.length - 1, statuses));
                    }));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("/q/openapi is not JSON", e);
        }
        return operations;
    }

    /** Fetched without RestAssured, so that loading the document is not itself filtered. */
    private static String fetchDocument(URI uri) {
        try {
            HttpResponse<String> answer = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(uri).header("Accept", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException(uri + " answered " + answer.statusCode());
            }
            return answer.body();
        } catch (IOException e) {
            throw new IllegalStateException("cannot load " + uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted loading " + uri, e);
        }
    }
}
