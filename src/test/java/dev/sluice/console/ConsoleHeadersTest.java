package dev.sluice.console;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The console's security headers, and the rules its static files keep so that the strict CSP can hold. */
@QuarkusTest
class ConsoleHeadersTest {

    private static final Path ASSETS = Path.of("src/main/resources/META-INF/resources/console");

    @Test
    void everyConsoleResponseCarriesTheSecurityHeaders() {
        given().redirects().follow(false).get("/console").then().statusCode(302)
                .header("Location", "/console/")
                .header("Content-Security-Policy", ConsoleRoute.CSP);
        for (String path : List.of("/console/", "/console/app.js", "/console/app.css", "/console/no-such-file")) {
            given().get(path).then()
                    .header("Content-Security-Policy", equalTo("default-src 'self'; script-src 'self'; "
                            + "style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                            + "base-uri 'none'; form-action 'self'"))
                    .header("X-Content-Type-Options", "nosniff")
                    .header("Referrer-Policy", "no-referrer");
        }
        given().get("/console/").then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("<script type=\"module\" src=\"app.js\"></script>"));
        given().get("/console/app.js").then().statusCode(200).contentType(containsString("javascript"));
        // the API itself is not the console: no console headers there
        given().get("/api/plans").then().statusCode(200).header("Content-Security-Policy", (String) null);
    }

    @Test
    void theAssetsHaveNoInlineCodeNoMarkupSinksAndNoOtherOrigin() throws IOException {
        Pattern inlineScript = Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>", Pattern.CASE_INSENSITIVE);
        Pattern inlineHandlerOrStyle = Pattern.compile("<[^>]+\\s(on\\w+|style)\\s*=", Pattern.CASE_INSENSITIVE);
        Pattern sinks = Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|eval\\(|new Function");
        Pattern otherOrigin = Pattern.compile("(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/", Pattern.CASE_INSENSITIVE);
        Pattern storage = Pattern.compile("localStorage|document\\.cookie");
        try (Stream<Path> files = Files.list(ASSETS)) {
            for (Path file : files.toList()) {
                String text = Files.readString(file);
                String name = file.getFileName().toString();
                assertFalse(inlineScript.matcher(text).find(), name + " has an inline script");
                assertFalse(inlineHandlerOrStyle.matcher(text).find(), name + " has an inline handler or style");
                assertFalse(sinks.matcher(text).find(), name + " renders markup from strings");
                assertFalse(storage.matcher(text).find(), name + " keeps state in a cookie or localStorage");
                assertFalse(otherOrigin.matcher(text.replace("http://www.w3.org/2000/svg", "")
                        .replace("https://example.com/hooks/sluice", "")).find(), name + " names another origin");
            }
        }
        assertTrue(Files.readString(ASSETS.resolve("api.js")).contains("sessionStorage"));
    }
}
