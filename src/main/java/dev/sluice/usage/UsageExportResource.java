package dev.sluice.usage;

import java.util.stream.Collectors;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.auth.Access;
import dev.sluice.web.QueryParams;

/**
 * {@code GET /admin/export/usage} (root): a page of the usage export as NDJSON, one {@link UsageExport.Line} per line.
 * The cursor after its last line is the {@code Next-Cursor} header (the request's own {@code after} when the page is
 * empty: resume from there later); a full page also links the next one ({@code Link: <...>; rel="next"}).
 */
@Path("/admin/export/usage")
public class UsageExportResource {

    static final String NDJSON = "application/x-ndjson";
    static final String NEXT_CURSOR = "Next-Cursor";

    @Inject
    UsageExport export;
    @Inject
    ObjectMapper json;

    @GET
    @Access(Access.Who.ROOT)
    @Produces(NDJSON)
    // The body is described as bytes: OpenAPI 3.0 has no schema for a sequence of JSON lines, and a client generated
    // from one line's schema would read the first line and drop the rest.
    @APIResponse(responseCode = "200", content = @Content(mediaType = NDJSON, schema = @Schema(type = SchemaType.STRING,
            format = "binary", description = "One JSON object per line: {date, account, credit, op, byte_in, byte_out, "
                    + "session_second, tunnel}")))
    public RestResponse<String> usage(@QueryParam("after") String after, @QueryParam("limit") String limit) {
        UsageExport.Page page = export.page(after, QueryParams.integer("limit", limit));
        String body = page.lines().stream().map(this::line).collect(Collectors.joining());
        RestResponse.ResponseBuilder<String> response = RestResponse.ResponseBuilder.ok(body, NDJSON);
        if (page.cursor() != null) {
            response.header(NEXT_CURSOR, page.cursor());
            if (page.full()) {
                response.header("Link", "</admin/export/usage?after=" + page.cursor() + "&limit="
                        + page.lines().size() + ">; rel=\"next\"");
            }
        }
        return response.build();
    }

    private String line(UsageExport.Line line) {
        try {
            return json.writeValueAsString(line) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an export line could not be written", e);
        }
    }
}
