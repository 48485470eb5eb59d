package dev.sluice.team;

import static dev.sluice.Api.as;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class MembershipsTest {

    @Test
    void aMemberListsTheOwnersItMayReadWithAnyOfItsTokens() {
        String member = uniqueSlug("mship-member");
        String memberService = serviceToken(member);
        String memberApi = Api.apiToken(member, memberService);
        String first = uniqueSlug("mship-owner-a");
        String second = uniqueSlug("mship-owner-b");
        String stranger = uniqueSlug("mship-stranger");
        serviceToken(stranger);

        as(memberService).get("/v1/memberships").then().statusCode(200).body("memberships", hasSize(0));

        as(serviceToken(first)).body(Map.of("member", member)).post("/admin/accounts/" + first + "/members")
                .then().statusCode(201);
        String secondService = serviceToken(second);
        as(secondService).body(Map.of("member", member, "role", "viewer"))
                .post("/admin/accounts/" + second + "/members").then().statusCode(201);
        // the owner's own membership list is the other direction: it lists nobody it may read
        as(secondService).get("/v1/memberships").then().statusCode(200).body("memberships", hasSize(0));

        as(memberApi).get("/v1/memberships").then().statusCode(200)
                .body("memberships.owner", contains(first, second))
                .body("memberships[0].role", equalTo("viewer"))
                .body("memberships[0].createdAt", notNullValue());
        as(memberService).get("/v1/memberships").then().statusCode(200).body("memberships", hasSize(2));

        as(secondService).delete("/admin/accounts/" + second + "/members/" + member).then().statusCode(200);
        as(memberService).get("/v1/memberships").then().statusCode(200).body("memberships.owner", contains(first));
        // every owner listed is one X-Account accepts
        as(memberApi).header("X-Account", first).get("/v1/usage").then().statusCode(200).body("slug", equalTo(first));
    }

    @Test
    void anyTokenMayAsk() {
        given().get("/v1/memberships").then().statusCode(401).header("WWW-Authenticate", "Bearer")
                .body("code", equalTo("UNAUTHORIZED"));
        as("vts_nobody_notAToken").get("/v1/memberships").then().statusCode(401);
        // root belongs to no account, so it has no memberships to list (§6: any token may ask)
        Api.asRoot().get("/v1/memberships").then().statusCode(200).body("memberships", hasSize(0));
        as(Api.TUNNEL_SECRET).get("/v1/memberships").then().statusCode(200).body("memberships", notNullValue());
    }
}
