package dev.sluice.web;

/** An absent JSON body arrives as null; where one is required that is a 400, not a NullPointerException. */
public final class Bodies {

    private Bodies() {
    }

    public static <T> T require(T body) {
        if (body == null) {
            throw SluiceException.validation(null, "A JSON request body is required.");
        }
        return body;
    }
}
