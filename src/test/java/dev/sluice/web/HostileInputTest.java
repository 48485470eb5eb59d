package dev.sluice.web;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Bodies that are not objects, headers with control characters, and what reaches a log line. */
@QuarkusTest
class HostileInputTest {

    @TestHTTPResource("/")
    URL base;
    @Inject
    AgroalDataSource db;

    @Test
    void aJsonBodyThatIsNotAnObjectIsRefusedEverywhere() {
        String slug = Api.uniqueSlug("not-object");
        String service = Api.serviceToken(slug);
        String api = Api.apiToken(slug, service);
        for (String body : new String[] { "null", "[]", "\"x\"", " 7" }) {
            as(api).body(body).post("/v1/tunnels").then().statusCode(400).body("code", equalTo("VALIDATION_FAILED"));
            asRoot().body(body).post("/admin/accounts").then().statusCode(400);
            as(service).body(body).post("/admin/accounts/" + slug + "/tokens").then().statusCode(400);
        }
        as(service).get("/v1/tunnels").then().body("tunnels.size()", equalTo(0));
        as(api).body("{}").post("/v1/tunnels").then().statusCode(201);
    }

    @Test
    void anAuthorizationHeaderWithControlCharactersIsUnauthorized() throws Exception {
        String slug = Api.uniqueSlug("ctl-auth");
        String service = Api.serviceToken(slug);
        assertTrue(rawGet("/admin/accounts/" + slug, "Bearer " + service).startsWith("HTTP/1.1 200"));
        // What reaches Sluice (a tab, bytes above 0x7F) is a malformed token: the contract's 401, never trimmed
        // into the valid token it surrounds.
        for (String spoiled : new String[] { "Bearer " + service + "\t\u00e9", "Bearer \u0085" + service,
                "Bearer " + service + "\u00a0" }) {
            String answer = rawGet("/admin/accounts/" + slug, spoiled);
            assertTrue(answer.startsWith("HTTP/1.1 401"), answer);
            assertTrue(answer.contains("\"code\":\"UNAUTHORIZED\""), answer);
        }
        // The other control characters never reach it: the HTTP layer (Netty) refuses the request line first.
        for (String spoiled : new String[] { "Bearer " + service + "\u0001", "Bearer \u0008" + service }) {
            String answer = rawGet("/admin/accounts/" + slug, spoiled);
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertFalse(answer.contains(service), answer);
        }
    }

    @Test
    void theDatabaseDriverKeepsRowContentsOutOfErrorMessages() throws SQLException {
        String slug = Api.uniqueSlug("no-detail");
        Api.serviceToken(slug);
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            SQLException duplicate = assertThrows(SQLException.class, () -> s.executeUpdate(
                    "insert into account_slug (slug, account_id) values ('" + slug + "', 0)"));
            assertTrue(duplicate.getMessage().contains("duplicate key"), duplicate.getMessage());
            assertFalse(duplicate.getMessage().contains(slug), duplicate.getMessage());
        }
    }

    /** A request as bytes on the wire, since HTTP clients refuse to send control characters in headers. */
    private String rawGet(String path, String authorization) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
