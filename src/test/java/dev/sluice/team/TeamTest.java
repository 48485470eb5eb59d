package dev.sluice.team;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class TeamTest {

    @Test
    void aMemberReadsTheOwnersUsageAndNothingMore() {
        String owner = uniqueSlug("owner");
        String ownerService = serviceToken(owner);
        String member = uniqueSlug("member");
        String memberService = serviceToken(member);
        String memberApi = Api.apiToken(member, memberService);
        String stranger = uniqueSlug("stranger");
        String strangerService = serviceToken(stranger);

        as(ownerService).body(Map.of("member", member, "role", "viewer"))
                .post("/admin/accounts/" + owner + "/members").then().statusCode(201)
                .body("member", equalTo(member)).body("role", equalTo("viewer")).body("createdAt", notNullValue());
        as(ownerService).get("/admin/accounts/" + owner + "/members").then().statusCode(200)
                .body("members", hasSize(1)).body("members[0].member", equalTo(member));

        as(memberApi).header("X-Account", owner).get("/v1/usage").then().statusCode(200)
                .body("slug", equalTo(owner));
        as(memberService).header("X-Account", owner).queryParam("days", 2).get("/v1/usage/series").then()
                .statusCode(200).body("buckets", hasSize(2));
        as(memberApi).header("X-Account", member).get("/v1/usage").then().statusCode(200)
                .body("slug", equalTo(member));
        as(strangerService).header("X-Account", owner).get("/v1/usage").then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        as(memberApi).header("X-Account", "no-such-owner").get("/v1/usage").then().statusCode(403);
        as(memberApi).header("X-Account", "Not_A_Slug").get("/v1/usage").then().statusCode(400)
                .body("field", equalTo("X-Account"));
        // membership is read access only: the owner's management plane stays closed
        as(memberService).get("/admin/accounts/" + owner).then().statusCode(403);

        as(ownerService).delete("/admin/accounts/" + owner + "/members/" + member).then().statusCode(200)
                .body("ok", equalTo(true));
        as(memberApi).header("X-Account", owner).get("/v1/usage").then().statusCode(403);
        as(ownerService).delete("/admin/accounts/" + owner + "/members/" + member).then().statusCode(404);
        as(ownerService).get("/admin/accounts/" + owner + "/members").then().body("members", hasSize(0));
    }

    @Test
    void badMembershipsAreRefused() {
        String owner = uniqueSlug("owner-bad");
        String ownerService = serviceToken(owner);
        String other = uniqueSlug("other-bad");
        String otherService = serviceToken(other);
        as(ownerService).body(Map.of("member", owner)).post("/admin/accounts/" + owner + "/members").then()
                .statusCode(400).body("field", equalTo("member"));
        as(ownerService).body(Map.of("member", other, "role", "admin")).post("/admin/accounts/" + owner + "/members")
                .then().statusCode(400).body("field", equalTo("role"));
        as(ownerService).body(Map.of("member", "ghost-account")).post("/admin/accounts/" + owner + "/members").then()
                .statusCode(404);
        as(ownerService).body(Map.of("member", "Bad_Slug")).post("/admin/accounts/" + owner + "/members").then()
                .statusCode(400).body("field", equalTo("member"));
        as(ownerService).body(Map.of("nope", 1)).post("/admin/accounts/" + owner + "/members").then().statusCode(400);
        as(otherService).body(Map.of("member", other)).post("/admin/accounts/" + owner + "/members").then()
                .statusCode(403);
    }
}
