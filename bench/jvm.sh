# Sourced by bench/service.sh, so every bench script gets it: the JVM as the container image runs it under the Helm
# chart's 768 MiB memory limit, not as on this whole machine. The image (src/main/docker/Dockerfile.jvm) starts the
# service through its run-java.sh, which adds these defaults of java-default-options, then the image's
# JAVA_OPTS_APPEND (-Xms256m -Xmn96m: a heap floor and a fixed young generation, docs/decisions/0016); the chart sets
# no others.
JVM=(-XX:MaxRAM=768m -XX:MaxRAMPercentage=80 -XX:+UseParallelGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20
     -XX:GCTimeRatio=4 -XX:AdaptiveSizePolicyWeight=90 -XX:+ExitOnOutOfMemoryError -Xms256m -Xmn96m)
