#!/usr/bin/env python3
"""Where a Java Flight Recorder recording of the service spent its CPU samples.

    bench/profile.py /tmp/sluice-spread.jfr      (written by PROFILE=1 bench/run.sh)

Prints the share of samples that pass through each layer (a sample counts once per layer on its stack, so the shares
overlap) and the hottest leaf methods.
"""
import collections
import json
import subprocess
import sys

# Layers in the order a request crosses them; the first prefix that matches a frame names its layer.
LAYERS = [
    ("sluice: lease batcher (arrays, JDBC)", "dev.sluice.money.Settlements.settle"),
    ("sluice: token authentication", "dev.sluice.auth."),
    ("sluice: usage service", "dev.sluice.usage."),
    ("sluice: other", "dev.sluice."),
    ("PostgreSQL JDBC driver", "org.postgresql."),
    ("Agroal connection pool", "io.agroal."),
    ("Narayana transactions", "com.arjuna."),
    ("Hibernate ORM", "org.hibernate.orm."),
    ("Hibernate ORM", "org.hibernate.internal."),
    ("Hibernate Validator", "org.hibernate.validator."),
    ("Jackson JSON", "com.fasterxml.jackson."),
    ("Quarkus REST", "org.jboss.resteasy.reactive."),
    ("Micrometer metrics", "io.micrometer."),
    ("Micrometer metrics", "io.quarkus.micrometer."),
    ("Quarkus HTTP security", "io.quarkus.vertx.http.runtime.security."),
    ("SmallRye context propagation", "io.smallrye.context."),
    ("Vert.x web routing", "io.vertx.ext.web."),
    ("Vert.x / Netty HTTP", "io.vertx.core."),
    ("Vert.x / Netty HTTP", "io.netty."),
    ("JBoss thread pool", "org.jboss.threads."),
]


def frames(event):
    for frame in event["values"]["stackTrace"]["frames"]:
        method = frame["method"]
        yield method["type"]["name"].replace("/", ".") + "." + method["name"]


def main(path):
    printed = subprocess.run(["jfr", "print", "--json", "--stack-depth", "256", "--events", "jdk.ExecutionSample",
                              path], check=True, capture_output=True, text=True).stdout
    events = json.loads(printed)["recording"]["events"]
    layers, leaves = collections.Counter(), collections.Counter()
    for event in events:
        names = list(frames(event))
        if names:
            leaves[names[0]] += 1
        seen = set()
        for name in names:
            layer = next((label for label, prefix in LAYERS if name.startswith(prefix)), None)
            if layer and layer not in seen:
                seen.add(layer)
                layers[layer] += 1
    total = max(len(events), 1)
    print(f"{path}: {len(events)} CPU samples")
    for layer, count in layers.most_common():
        print(f"  {100 * count / total:5.1f} %  {layer}")
    print("  hottest leaf methods:")
    for name, count in leaves.most_common(12):
        print(f"  {100 * count / total:5.1f} %  {name}")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        main(argument)
