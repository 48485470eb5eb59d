package dev.sluice.web;

/**
 * Fired, synchronously and within the request, for every error the mapper answers, so that a feature (the audit
 * trail) can record refused attempts without this package knowing it.
 */
public record RequestRefused(SluiceException error) {
}
