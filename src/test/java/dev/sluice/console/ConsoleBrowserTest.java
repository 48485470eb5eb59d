package dev.sluice.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.SelectOption;

import dev.sluice.Api;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The console in a real Chromium (Debian's, never a downloaded one): each person's main path end to end, markup in
 * data shown as text, no request leaving this host and no error in the browser console. Screenshots of the main
 * screens land in {@code docs/console/}.
 */
@QuarkusTest
class ConsoleBrowserTest {

    private static final Path SHOTS = Path.of("docs", "console");
    private static final String MARKUP = "<img src=x onerror=alert(1)>";

    @TestHTTPResource("/console/")
    URL console;

    private static Playwright playwright;
    private static Browser browser;

    private BrowserContext context;
    private Page page;
    private final List<String> consoleErrors = new CopyOnWriteArrayList<>();
    private final List<String> foreignRequests = new CopyOnWriteArrayList<>();
    private final List<String> dialogs = new CopyOnWriteArrayList<>();
    /** Status codes a test provokes on purpose; Chromium logs each such response as a console error. */
    private final List<Integer> expectedStatuses = new ArrayList<>();

    @BeforeAll
    static void launch() {
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(Path.of("/usr/bin/chromium")).setHeadless(true).setArgs(List.of("--no-sandbox")));
    }

    @AfterAll
    static void shutDown() {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
    }

    @BeforeEach
    void open() {
        context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 900));
        context.route("**/*", route -> {
            URI uri = URI.create(route.request().url());
            if (Set.of("localhost", "127.0.0.1").contains(uri.getHost())) {
                route.resume();
            } else {
                foreignRequests.add(route.request().url());
                route.abort();
            }
        });
        page = context.newPage();
        page.onConsoleMessage(message -> {
            if ("error".equals(message.type())) {
                consoleErrors.add(message.text());
            }
        });
        page.onPageError(consoleErrors::add);
        page.onDialog(dialog -> {
            dialogs.add(dialog.message());
            dialog.dismiss();
        });
    }

    @AfterEach
    void checkAndClose() {
        try {
            assertEquals(List.of(), foreignRequests, "requests that left localhost");
            assertEquals(List.of(), dialogs, "dialogs that fired");
            List<String> unexpected = consoleErrors.stream().filter(e -> expectedStatuses.stream()
                    .noneMatch(s -> e.startsWith("Failed to load resource: the server responded with a status of " + s)))
                    .toList();
            assertEquals(List.of(), unexpected, "errors in the browser console");
        } finally {
            context.close();
        }
    }

    @Test
    void rootSearchesCreatesIsRefusedByTheCeilingPreviewsAPlanAndSuspends() {
        // A Pro account with a tunnel and a reserved subdomain, so a downgrade has something to show.
        String pro = uniqueSlug("console-pro");
        String service = createAccount(pro, Map.of("plan", "pro", "name", "Pro Customer")).path("serviceToken");
        String api = Api.apiToken(pro, service);
        String subdomain = pro + "-web";
        as(api).body(Map.of("subdomain", subdomain)).post("/v1/tunnels").then().statusCode(201);

        signIn(Api.ROOT);
        assertThat(role(AriaRole.HEADING, "Accounts")).isVisible();
        assertThat(page.locator(".gauge").first()).containsText("Global day allocation");

        // create an account, limits in dollars; its service token is shown once
        String created = uniqueSlug("console-new");
        label("Slug").fill(created);
        label("Name").fill("New Customer");
        label("Daily limit ($)").fill("2");
        label("Monthly limit ($)").fill("20");
        role(AriaRole.BUTTON, "Create account").click();
        assertThat(status()).containsText("Account " + created + " created.");
        assertThat(page.locator(".once")).containsText("only time it is shown");
        assertThat(page.locator(".once .secret")).containsText("vts_" + created + "_");

        // search by prefix
        label("Search by slug, name or email (prefix)").fill("console-");
        role(AriaRole.BUTTON, "Search").click();
        assertThat(page.locator("table")).containsText(created);
        assertThat(page.locator("table")).containsText(pro);
        label("Search by slug, name or email (prefix)").fill("Pro Cust");
        role(AriaRole.BUTTON, "Search").click();
        assertThat(page.locator("tbody tr")).hasCount(1);
        screenshot("root-accounts.png");

        role(AriaRole.LINK, pro).click();
        assertThat(role(AriaRole.HEADING, "Pro Customer (" + pro + ")"))
                .isVisible();
        assertThat(page.locator(".gauge").first()).containsText("Today");

        // over the global ceiling: refused in words, with the room left
        expectedStatuses.add(409);
        label("Daily limit ($)").fill("5000");
        role(AriaRole.BUTTON, "Save limits").click();
        assertThat(status()).containsText("Refused: the daily global ceiling is 1,000,000,000 credits ($1,000.00)");
        assertThat(status()).containsText("is left; this change asks for");
        assertThat(status()).containsText("GLOBAL_CEILING_EXCEEDED");

        // plan preview first, then confirm
        label("New plan").selectOption("free");
        role(AriaRole.BUTTON, "Preview change").click();
        Locator preview = page.locator(".preview");
        assertThat(preview).containsText("Will close these tunnels");
        assertThat(preview).containsText("Will release these subdomains");
        assertThat(preview.locator("li")).containsText(new String[] {subdomain});
        screenshot("account-plan-preview.png");
        role(AriaRole.BUTTON, "Confirm: change plan to free").click();
        assertThat(status()).containsText(pro + " is now on the free plan.");
        as(service).get("/v1/subdomains").then().statusCode(200).body("subdomains.size()", org.hamcrest.Matchers.is(0));

        role(AriaRole.BUTTON, "Suspend account").click();
        assertThat(status()).containsText(pro + " is now suspended.");
        assertThat(page.locator("dl.facts")).containsText("suspended by root");
        role(AriaRole.BUTTON, "Resume account").click();
        assertThat(status()).containsText(pro + " is now active.");

        // the audit log filtered by this account, then usage sorted
        role(AriaRole.LINK, "Audit log of this account").click();
        // The account's page has tables of its own: the audit log's is the one once its heading is there.
        assertThat(role(AriaRole.HEADING, "Audit log")).isVisible();
        assertThat(page.locator("table")).containsText("account.suspend");
        role(AriaRole.LINK, "Usage").click();
        role(AriaRole.BUTTON, "Account").click();
        assertThat(page.locator("th[aria-sort=descending]")).containsText("Account");
        role(AriaRole.LINK, "Stripe events").click();
        assertThat(role(AriaRole.HEADING, "Stripe events")).isVisible();
    }

    @Test
    void ownerSeesGaugesAndMintsATokenShownOnlyOnce() {
        String slug = uniqueSlug("console-owner");
        String service = createAccount(slug, Map.of("name", "Owner Co")).path("serviceToken");
        String api = Api.apiToken(slug, service);
        as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201);

        signIn(service);
        assertThat(role(AriaRole.HEADING, "Overview of " + slug))
                .isVisible();
        assertThat(page.locator(".level")).containsText("Level: ok");
        assertThat(page.locator(".gauge").nth(0)).containsText("Today");
        assertThat(page.locator(".gauge").nth(0)).containsText("$1.00");
        assertThat(page.locator(".gauge").nth(1)).containsText("This month");
        assertThat(page.locator(".gauge").nth(1)).containsText("resets");
        // the free plan meters bytes and session time
        assertThat(page.locator(".gauges")).containsText("Bytes (7 days)");
        assertThat(page.locator("figcaption")).containsText("over 30 days");
        label("Days").selectOption("7");
        assertThat(page.locator("figcaption")).containsText("over 7 days");
        assertThat(page.locator("svg.chart rect.bar")).hasCount(7);
        screenshot("owner-overview.png");

        role(AriaRole.LINK, "Tunnels").click();
        assertThat(page.locator("tbody tr")).hasCount(1);
        assertThat(page.locator("tbody")).containsText(slug + "-");

        role(AriaRole.LINK, "Tokens").click();
        assertThat(label("Kind").locator("option")).hasCount(1);
        label("Name").fill("ci relay");
        role(AriaRole.BUTTON, "Mint token").click();
        Locator once = page.locator(".once");
        assertThat(once).containsText("Copy it now: this is the only time it is shown.");
        assertThat(once.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy"))).isVisible();
        String minted = once.locator(".secret").textContent();
        assertTrue(minted.startsWith("vta_" + slug + "_"), minted);
        assertThat(page.locator("tbody")).containsText("ci relay");
        screenshot("token-shown-once.png");
        as(minted).get("/v1/usage").then().statusCode(200);

        page.reload();
        assertThat(page.locator("tbody")).containsText("…" + minted.substring(minted.length() - 4));
        assertFalse(page.content().contains(minted), "the token is shown again after a reload");
        assertEquals(0, page.locator(".once").count());

        // readable at 390 px: nothing wider than the screen
        page.setViewportSize(390, 844);
        role(AriaRole.LINK, "Overview").click();
        assertThat(page.locator(".gauge").first()).containsText("Today");
        assertThat(page.locator("figcaption")).containsText("over 30 days");
        assertEquals(390, ((Number) page.evaluate("document.documentElement.scrollWidth")).intValue());
        screenshot("overview-390px.png");

        // 503 and 429 are shown, not swallowed; a 401 brings back the token screen
        expectedStatuses.add(503);
        expectedStatuses.add(401);
        page.route("**/v1/tunnels", route -> route.fulfill(new com.microsoft.playwright.Route.FulfillOptions()
                .setStatus(503).setContentType("application/json")
                .setBody("{\"code\":\"UNAVAILABLE\",\"message\":\"The database cannot be reached; nothing was granted.\"}")));
        role(AriaRole.LINK, "Tunnels").click();
        assertThat(status()).containsText("The database cannot be reached; nothing was granted. (503 UNAVAILABLE)");
        expectedStatuses.add(429);
        page.route("**/v1/usage", route -> route.fulfill(new com.microsoft.playwright.Route.FulfillOptions()
                .setStatus(429).setContentType("application/json").setHeaders(Map.of("Retry-After", "120"))
                .setBody("{\"code\":\"QUOTA_EXCEEDED\",\"message\":\"No credits remain.\",\"retryAfter\":120}")));
        role(AriaRole.LINK, "Overview").click();
        assertThat(status()).containsText("No credits remain. (429 QUOTA_EXCEEDED). Try again in 120 seconds.");
        String tokenId = asRoot().get("/admin/accounts/" + slug + "/tokens").then().extract()
                .path("tokens.find { it.kind == 'service' }.id");
        asRoot().delete("/admin/accounts/" + slug + "/tokens/" + tokenId).then().statusCode(200);
        page.waitForTimeout(1100);
        role(AriaRole.LINK, "Webhooks").click();
        assertThat(role(AriaRole.BUTTON, "Open console")).isVisible();
        assertThat(page.locator("form.signin")).containsText("The token was refused (401)");
        assertEquals(null, page.evaluate("sessionStorage.getItem('sluice.token')"));
    }

    @Test
    void aMemberChoosesAnOwnerAndReadsItsUsage() {
        String owner = uniqueSlug("console-shared");
        String ownerService = createAccount(owner, Map.of()).path("serviceToken");
        String member = uniqueSlug("console-member");
        String memberService = createAccount(member, Map.of()).path("serviceToken");
        as(ownerService).body(Map.of("member", member)).post("/admin/accounts/" + owner + "/members").then()
                .statusCode(201);
        String memberApi = Api.apiToken(member, memberService);

        // by keyboard alone: the token field has the focus, Enter submits, Tab reaches the links
        page.navigate(console.toString());
        page.keyboard().type(memberApi);
        page.keyboard().press("Enter");
        assertThat(role(AriaRole.HEADING, "Overview of " + member)).isVisible();
        role(AriaRole.LINK, "Shared with me").focus();
        page.keyboard().press("Enter");
        Locator read = role(AriaRole.LINK, "Read " + owner + "’s usage");
        read.focus();
        page.keyboard().press("Enter");
        assertThat(role(AriaRole.HEADING, "Usage of " + owner + " (shared with you)")).isVisible();
        assertThat(page.locator(".gauge").first()).containsText("of $1.00");
        assertThat(page.locator("figcaption")).containsText("over 30 days");
        // an api token manages nothing: no token, webhook or team screens are offered
        assertEquals(0, role(AriaRole.LINK, "Tokens").count());
    }

    @Test
    void markupInDataIsShownAsTextAndABadTokenIsRefused() {
        String slug = uniqueSlug("console-xss");
        createAccount(slug, Map.of("name", MARKUP, "email", "xss@example.com"));

        expectedStatuses.add(401);
        page.navigate(console.toString());
        label("Token").fill("vtr_" + "A".repeat(40));
        role(AriaRole.BUTTON, "Open console").click();
        assertThat(page.locator("form.signin")).containsText("The token was refused (401)");
        label("Token").fill("not a token");
        role(AriaRole.BUTTON, "Open console").click();
        assertThat(page.locator("form.signin")).containsText("That is not a Sluice token");

        label("Token").fill(Api.ROOT);
        role(AriaRole.BUTTON, "Open console").click();
        label("Search by slug, name or email (prefix)").fill(slug);
        role(AriaRole.BUTTON, "Search").click();
        assertThat(page.locator("tbody td").nth(1)).hasText(MARKUP);
        role(AriaRole.LINK, slug).click();
        assertThat(page.locator("h1")).hasText(MARKUP + " (" + slug + ")");
        assertEquals(0, page.locator("main img").count());
        // a search with markup and LIKE wildcards is only text to the server too
        role(AriaRole.LINK, "Accounts").click();
        label("Search by slug, name or email (prefix)").fill(MARKUP);
        role(AriaRole.BUTTON, "Search").click();
        assertThat(page.locator("caption")).hasText("Accounts starting with “" + MARKUP + "”");
        // the name starts with that text, so the account is found, and still shown as text
        assertThat(page.locator("tbody td").nth(1)).hasText(MARKUP);
        label("Search by slug, name or email (prefix)").fill("%" + slug.substring(1));
        role(AriaRole.BUTTON, "Search").click();
        assertThat(page.locator("tbody")).hasText("None.");
    }

    @Test
    void rootFundsAPrepaidAccountAndTheOwnerReadsItsCredit() {
        String slug = uniqueSlug("console-credit");
        String service = createAccount(slug, Map.of("name", "Prepaid Co")).path("serviceToken");
        // 26 small grants first, so the ledger has a second page.
        for (int i = 0; i < 26; i++) {
            asRoot().body(Map.of("credits", 1, "category", "paid")).post("/admin/accounts/" + slug + "/grants").then()
                    .statusCode(201);
        }

        signIn(Api.ROOT);
        openAccount(slug);
        assertThat(page.locator("dl.facts")).containsText("postpaid");
        role(AriaRole.BUTTON, "Switch to prepaid").click();
        assertThat(status()).containsText(slug + " is now prepaid.");
        label("Credits").fill("500");
        label("Category").selectOption("promotional");
        label("Note").fill(MARKUP);
        role(AriaRole.BUTTON, "Add grant").click();
        assertThat(status()).containsText("Granted 500 credits to " + slug + ".");
        label("Credits").fill("300");
        role(AriaRole.BUTTON, "Add grant").click();
        assertThat(status()).containsText("Granted 300 credits");
        Locator grants = page.locator("table", new Page.LocatorOptions().setHasText("Grants, oldest first"));
        assertThat(grants).containsText(MARKUP);
        grants.locator("tr", new Locator.LocatorOptions().setHasText("300 credits"))
                .getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Void")).click();
        assertThat(status()).containsText("voided.");
        assertThat(grants.locator("tr", new Locator.LocatorOptions().setHasText("300 credits"))).containsText("voided");

        // the ledger, newest first, one page and then the next
        Locator ledger = page.locator("table", new Page.LocatorOptions().setHasText("Ledger, newest first"));
        assertThat(ledger.locator("tbody tr")).hasCount(25);
        assertThat(ledger.locator("tbody tr").first()).containsText("void");
        assertThat(ledger.locator("tbody tr").first()).containsText("-300 credits");
        role(AriaRole.BUTTON, "Older entries").click();
        assertThat(ledger.locator("tbody tr")).hasCount(29);
        role(AriaRole.LINK, "← Accounts").click();
        openAccount(slug);
        assertThat(page.locator(".gauge", new Page.LocatorOptions().setHasText("Prepaid balance")))
                .containsText("526 credits available");
        screenshot("account-credit.png");

        // the owner reads it, cannot void, and sets the balance.low threshold
        page.evaluate("sessionStorage.clear()");
        signIn(service);
        assertThat(page.locator(".gauge", new Page.LocatorOptions().setHasText("Prepaid balance")))
                .containsText("526 credits in the balance");
        role(AriaRole.LINK, "Credit").click();
        assertThat(role(AriaRole.HEADING, "Prepaid credit").first()).isVisible();
        assertThat(page.locator("table").first()).containsText("500 credits");
        assertEquals(0, role(AriaRole.BUTTON, "Void").count());
        assertEquals(0, role(AriaRole.BUTTON, "Add grant").count());
        label("Alert below (credits)").fill("100");
        role(AriaRole.BUTTON, "Save alert").click();
        assertThat(status()).containsText("Balance alert saved.");
        assertThat(page.locator("main")).containsText("falls below 100 credits");
    }

    @Test
    void anOwnerSetsABudgetForOneTokenAndReadsUsageByToken() {
        String slug = uniqueSlug("console-budget");
        String service = createAccount(slug, Map.of("plan", "pro", "leaseChunk", 10)).path("serviceToken");
        String api = as(service).body(Map.of("kind", "api", "name", "edge-a"))
                .post("/admin/accounts/" + slug + "/tokens").then().statusCode(201).extract().path("token");
        String tunnel = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        as(api).body(Map.of()).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
        as(api).body(Map.of("consumed", 10)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);

        signIn(service);
        role(AriaRole.LINK, "Budgets").click();
        assertThat(role(AriaRole.HEADING, "Budgets")).isVisible();
        label("Name").fill(MARKUP);
        label("Counts").selectOption(new SelectOption().setLabel("edge-a …" + api.substring(api.length() - 4)));
        label("Window").selectOption("day");
        label("Limit (USD)").fill("0.0001");
        label("When reached").selectOption("block");
        role(AriaRole.BUTTON, "Add budget").click();
        assertThat(status()).containsText("added.");
        Locator budgets = page.locator("table", new Page.LocatorOptions().setHasText("Budgets: spent"));
        assertThat(budgets).containsText(MARKUP);
        assertThat(budgets).containsText("edge-a");
        assertThat(budgets).containsText("11 credits of 100 credits");
        assertThat(budgets).containsText("50 %, 80 %, 100 %");
        Locator byToken = page.locator("table", new Page.LocatorOptions().setHasText("Credits billed to each token"));
        assertThat(byToken.locator("tr", new Locator.LocatorOptions().setHasText("edge-a"))).containsText("11 credits");
        screenshot("owner-budgets.png");

        role(AriaRole.BUTTON, "Edit").click();
        label("Limit (USD)").fill("0.0002");
        label("Alert at (% of the limit, or $amount; comma-separated)").fill("25, $0.0001");
        role(AriaRole.BUTTON, "Save budget").click();
        assertThat(status()).containsText("saved.");
        assertThat(budgets).containsText("11 credits of 200 credits");
        assertThat(budgets).containsText("25 %, $0.0001");
        as(service).get("/admin/accounts/" + slug + "/budgets").then().body("budgets[0].limit", equalTo(200));

        role(AriaRole.BUTTON, "Delete").click();
        assertThat(status()).containsText("deleted.");
        assertThat(budgets.locator("tbody")).hasText("None.");
    }

    private void signIn(String token) {
        page.navigate(console.toString());
        label("Token").fill(token);
        role(AriaRole.BUTTON, "Open console").click();
    }

    /** From the accounts page, as root finds an account among many. */
    private void openAccount(String slug) {
        assertThat(role(AriaRole.HEADING, "Accounts")).isVisible();
        label("Search by slug, name or email (prefix)").fill(slug);
        role(AriaRole.BUTTON, "Search").click();
        role(AriaRole.LINK, slug).click();
    }

    /** Exact names: "Slug" must not find "Search by slug…". */
    private Locator label(String text) {
        return page.getByLabel(text, new Page.GetByLabelOptions().setExact(true));
    }

    private Locator role(AriaRole role, String name) {
        return page.getByRole(role, new Page.GetByRoleOptions().setName(name).setExact(true));
    }

    private Locator status() {
        return page.locator("#status");
    }

    private void screenshot(String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name)).setFullPage(true));
    }
}
