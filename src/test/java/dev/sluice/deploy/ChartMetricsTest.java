package dev.sluice.deploy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The chart's Grafana dashboard and alerts query only metrics the service exports: a renamed meter fails here rather
 * than leave a panel empty and an alert silent.
 */
@QuarkusTest
class ChartMetricsTest {

    /** The management port's /q/ (its root path), where the metrics are served. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExported() throws Exception {
        Set<String> queried = HelmChartTest.metricsQueriedByTheChart();
        // Quarkus registers its HTTP meter at the first request it answers.
        given().get("/api/plans").then().statusCode(200);
        Set<String> missing = new TreeSet<>(queried);
        missing.removeAll(Scrape.of(management).names());
        assertTrue(missing.isEmpty(), "queried by the chart but not exported: " + missing);
    }
}
