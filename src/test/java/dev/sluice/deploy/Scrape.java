package dev.sluice.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** One read of the management port's /q/metrics, in Prometheus's text exposition. */
record Scrape(Map<String, Double> samples) {

    /** {@code management} is the management port's /q/ (its root path). */
    static Scrape of(URL management) throws IOException, InterruptedException {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(management.toString()).resolve("metrics")).build(), HttpResponse.BodyHandlers.ofString());
        if (metrics.statusCode() != 200) {
            throw new IllegalStateException("/q/metrics answered " + metrics.statusCode());
        }
        Map<String, Double> samples = new TreeMap<>();
        metrics.body().lines().filter(line -> !line.isBlank() && !line.startsWith("#")).forEach(line -> {
            int value = line.lastIndexOf(' ');
            samples.put(line.substring(0, value), Double.parseDouble(line.substring(value + 1)));
        });
        return new Scrape(samples);
    }

    /** The series names: each sample's text before its labels. */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.keySet().forEach(sample -> names.add(sample.split("\\{", 2)[0]));
        return names;
    }

    /** One sample by its name and labels as exposed ({@code sluice_leases_total{outcome="ok"}}); 0 if absent. */
    double value(String sample) {
        return samples.getOrDefault(sample, 0.0);
    }

    boolean has(String sample) {
        return samples.containsKey(sample);
    }
}
