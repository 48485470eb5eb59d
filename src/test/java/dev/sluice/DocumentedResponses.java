package dev.sluice;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.RestAssuredRequest;
import com.atlassian.oai.validator.restassured.RestAssuredResponse;

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
 */
public final class DocumentedResponses implements Filter {

    private static volatile OpenApiInteractionValidator validator;

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
        ValidationReport report = validator(request.getURI()).validate(RestAssuredRequest.of(request),
                RestAssuredResponse.of(response));
        boolean accepted = response.statusCode() < 400;
        List<ValidationReport.Message> errors = report.getMessages().stream()
                .filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                .filter(m -> accepted || !m.getKey().startsWith("validation.request"))
                .toList();
        if (!errors.isEmpty()) {
            throw new AssertionError("The answer to " + request.getMethod() + " " + request.getURI() + " ("
                    + response.statusCode() + ") is not what /q/openapi describes:\n"
                    + errors.stream().map(m -> "  " + m.getKey() + ": " + m.getMessage() + m.getContext()
                            .map(c -> " " + c.getRequestPath().orElse("") + " " + c.getResponseStatus().orElse(0))
                            .orElse("")).collect(Collectors.joining("\n"))
                    + "\nbody: " + response.asString());
        }
        return response;
    }

    private static OpenApiInteractionValidator validator(String requestUri) {
        if (validator == null) {
            synchronized (DocumentedResponses.class) {
                if (validator == null) {
                    validator = OpenApiInteractionValidator
                            .createForInlineApiSpecification(fetchDocument(URI.create(requestUri).resolve("/q/openapi")))
                            // Paths the document does not describe (metrics, unknown URLs) are not part of the API.
                            .withLevelResolver(LevelResolver.create()
                                    .withLevel("validation.request.path.missing", ValidationReport.Level.IGNORE)
                                    // The service takes a missing body where every field has a default; the
                                    // document asks clients for `{}` (see ApiDescriptionFilter).
                                    .withLevel("validation.request.body.missing", ValidationReport.Level.IGNORE)
                                    .build())
                            .build();
                }
            }
        }
        return validator;
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
