package dev.sluice.web;

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
}
