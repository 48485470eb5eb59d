package dev.sluice.web;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A failure that is not a {@link SluiceException}, carrying the id of the request it answers: an asynchronous answer
 * (a lease settled in a batch) may be rendered on a thread whose log context is another request's, or none. The
 * error mapper answers for the cause, naming this request.
 */
public final class RequestFailure extends RuntimeException {

    private final String requestId;

    public RequestFailure(String requestId, Throwable cause) {
        super(cause.getMessage(), cause, false, false);
        this.requestId = requestId;
    }

    public String requestId() {
        return requestId;
    }

    /**
     * An asynchronous answer whose failure names the request it answers: a {@link SluiceException} as itself, bound
     * to the request, anything else wrapped in a {@code RequestFailure}.
     */
    public static <T> CompletionStage<T> bind(String requestId, CompletionStage<T> answer) {
        return answer.exceptionallyCompose(failure -> {
            Throwable cause = failure instanceof CompletionException wrapped && wrapped.getCause() != null
                    ? wrapped.getCause() : failure;
            return CompletableFuture.failedStage(cause instanceof SluiceException error ? error.forRequest(requestId)
                    : cause instanceof RequestFailure bound ? bound : new RequestFailure(requestId, cause));
        });
    }
}
