package dev.sluice.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.constructors;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import dev.sluice.admin.AccountResource;
import dev.sluice.billing.StripeLinks;
import dev.sluice.money.AccountTurns;
import dev.sluice.money.CreditLock;
import dev.sluice.money.Settlements;

/**
 * Java code takes an account's credit lock only through the per-account scheduler: a {@link CreditLock} is made by
 * {@link AccountTurns} alone, the statements that take the lock for a caller's transaction are reached through it,
 * and the money core's SQL functions are named in the money package only (the reapers' and the reconciler's SQL
 * takes the lock inside its own functions).
 */
class CreditLockBoundaryTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("dev.sluice");
    private static final Pattern MONEY_CORE_SQL = Pattern.compile(
            "\\b(lock_usage|charge_registration|settle_tunnels|close_tunnels(_locked)?)\\s*\\(");

    @Test
    void onlyTheSchedulerMakesACreditLock() {
        constructors().that().areDeclaredIn(CreditLock.class).should().onlyBeCalled()
                .byClassesThat().belongToAnyOf(AccountTurns.class).check(MAIN);
    }

    @Test
    void callsOutsideTurnsAreRootsLimitChangesAndStripesLinks() {
        methods().that().areDeclaredIn(AccountTurns.class).and().haveName("outsideTurns").should().onlyBeCalled()
                .byClassesThat().belongToAnyOf(AccountTurns.class, AccountResource.class, StripeLinks.class)
                .check(MAIN);
    }

    @Test
    void theStatementsThatTakeTheLockForACallerAreReachedThroughACreditLock() {
        methods().that().areDeclaredIn(Settlements.class)
                .and().haveNameMatching("lockCredits|chargeRegistration|closeOpen|closeExcess")
                .should().onlyBeCalled().byClassesThat().belongToAnyOf(CreditLock.class).check(MAIN);
        methods().that().areDeclaredIn(Settlements.class).and().haveName("settle").should().onlyBeCalled()
                .byClassesThat().belongToAnyOf(AccountTurns.class, Settlements.class).check(MAIN);
    }

    @Test
    void theMoneyCoresFunctionsAreCalledFromTheMoneyPackageOnly() throws IOException {
        Path main = Path.of("src/main/java/dev/sluice");
        try (Stream<Path> files = Files.walk(main)) {
            List<String> outside = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.startsWith(main.resolve("money")))
                    .flatMap(f -> lines(f).filter(line -> !line.strip().startsWith("*")
                            && !line.strip().startsWith("//") && MONEY_CORE_SQL.matcher(line).find())
                            .map(line -> main.relativize(f) + ": " + line.strip()))
                    .toList();
            assertEquals(List.of(), outside);
        }
    }

    private static Stream<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
