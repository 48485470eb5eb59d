package dev.sluice;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test (META-INF/services; quarkus-junit turns on JUnit's extension autodetection), so
 * that tests calling {@code given()} directly are validated too. A {@code @QuarkusTest} runs in Quarkus's class loader, with its own
 * copy of RestAssured: the filter is installed through the test class's loader, into the RestAssured it uses.
 */
public class DocumentedResponsesExtension implements BeforeEachCallback {

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        ClassLoader loader = context.getRequiredTestClass().getClassLoader();
        Class.forName(DocumentedResponses.class.getName(), true, loader).getMethod("install").invoke(null);
    }
}
