package dev.sluice.apidoc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

import dev.sluice.auth.Slugs;
import dev.sluice.money.CloseReason;
import dev.sluice.web.DnsLabel;
import dev.sluice.web.ErrorCode;

/**
 * Turns the document SmallRye generates from the resources into the description the contract asks for: an operationId,
 * summary, tag and caller tier per operation, the real success status, the contract's error responses with one
 * {@code Error} schema, the Bearer scheme, the rate-limit and idempotency headers, and nullable fields.
 * <p>
 * Everything lives in the tables below, keyed by method and path, so the resources stay free of documentation
 * annotations. An operation the tables do not know fails the build (the filter runs at build time), and so does a
 * table entry for an operation or field that no longer exists: the description cannot silently drift.
 */
public class ApiDescriptionFilter implements OASFilter {

    /** Who may call an operation, as the contract names them; the text goes into the operation's description. */
    enum Tier {
        PUBLIC("anyone, no token"),
        ROOT("the root token"),
        MANAGER("svc*: the root token, or the service token of `{slug}`"),
        ROOT_OR_SERVICE("the root token, or a service token (its own account only)"),
        API("an api token (or the legacy TUNNEL_SECRET)"),
        REPORT("the api token that registered the tunnel; a revoked or expired one still reports (charged, then 410)"),
        ACCOUNT("an api or service token of the account"),
        ANY_TOKEN("any token: root (which belongs to no account), service or api"),
        SERVICE("the account's service token"),
        STRIPE("Stripe: no token; the `Stripe-Signature` header (HMAC-SHA256, 300 s tolerance) authenticates it");

        final String who;

        Tier(String who) {
            this.who = who;
        }
    }

    record Op(String operationId, String tag, Tier tier, int status, String summary, List<Integer> extraErrors) {
    }

    static final Map<String, Op> OPERATIONS = new LinkedHashMap<>();
    private static final String EXPORT = "GET /admin/export/usage";

    private static void op(String key, String operationId, String tag, Tier tier, int status, String summary,
            Integer... extraErrors) {
        OPERATIONS.put(key, new Op(operationId, tag, tier, status, summary, List.of(extraErrors)));
    }

    static {
        op("POST /admin/accounts", "createAccount", "accounts", Tier.ROOT, 201,
                "Create an account and its first service token (shown once)", 409);
        op("GET /admin/accounts", "listAccounts", "accounts", Tier.ROOT, 200,
                "List accounts (optionally by a slug, name or email prefix, q) with the global ceiling");
        op("GET /admin/accounts/{slug}", "getAccount", "accounts", Tier.MANAGER, 200, "Read one account");
        op("PATCH /admin/accounts/{slug}", "updateAccount", "accounts", Tier.ROOT, 200,
                "Change an account's name, email or Stripe customer", 409);
        op("PATCH /admin/accounts/{slug}/limits", "updateAccountLimits", "accounts", Tier.ROOT, 200,
                "Change an account's limits, checked against the global ceiling", 409);
        op("PUT /admin/accounts/{slug}/plan", "changeAccountPlan", "plans", Tier.ROOT, 200,
                "Move an account to a plan; a downgrade is reconciled at once");
        op("GET /admin/accounts/{slug}/plan-preview", "previewAccountPlan", "plans", Tier.MANAGER, 200,
                "What moving to a plan would close, release and quarantine, without doing it");
        op("POST /admin/accounts/{slug}/suspend", "suspendAccount", "accounts", Tier.MANAGER, 200,
                "Suspend an account and close its open tunnels");
        op("POST /admin/accounts/{slug}/resume", "resumeAccount", "accounts", Tier.MANAGER, 200,
                "Resume a suspended account (a root suspension only by root)");
        op("POST /admin/accounts/{slug}/tokens", "mintToken", "tokens", Tier.MANAGER, 201,
                "Mint an api token (a service token: root only); the token is shown once");
        op("GET /admin/accounts/{slug}/tokens", "listTokens", "tokens", Tier.MANAGER, 200,
                "List an account's tokens, without their secrets");
        op("DELETE /admin/accounts/{slug}/tokens/{id}", "revokeToken", "tokens", Tier.MANAGER, 200,
                "Revoke a token; tunnels it registered close");
        op("POST /admin/accounts/{slug}/tokens/{id}/roll", "rollToken", "tokens", Tier.MANAGER, 201,
                "Mint a replacement token; the old one dies after the overlap");
        op("GET /admin/accounts/{slug}/usage", "getAccountUsage", "usage", Tier.MANAGER, 200,
                "Read an account's usage view");
        op("GET /admin/accounts/{slug}/stripe-reference", "getStripeReference", "billing", Tier.MANAGER, 200,
                "The signed client_reference_id for the account's Payment Links");
        op("GET /admin/accounts/{slug}/members", "listMembers", "team", Tier.MANAGER, 200,
                "List the accounts that may read this account's usage");
        op("POST /admin/accounts/{slug}/members", "addMember", "team", Tier.MANAGER, 201,
                "Let another account read this account's usage", 409);
        op("DELETE /admin/accounts/{slug}/members/{member}", "removeMember", "team", Tier.MANAGER, 200,
                "Remove a member");
        op("GET /admin/accounts/{slug}/webhooks", "listWebhooks", "webhooks", Tier.MANAGER, 200,
                "List webhook endpoints (secrets are never listed)");
        op("POST /admin/accounts/{slug}/webhooks", "createWebhook", "webhooks", Tier.MANAGER, 201,
                "Add a webhook endpoint; its signing secret is shown once");
        op("DELETE /admin/accounts/{slug}/webhooks/{id}", "deleteWebhook", "webhooks", Tier.MANAGER, 200,
                "Remove a webhook endpoint");
        op("GET /admin/accounts/{slug}/webhooks/{id}/deliveries", "listWebhookDeliveries", "webhooks",
                Tier.MANAGER, 200, "Recent delivery attempts of an endpoint");
        op("GET /admin/usage", "listUsage", "usage", Tier.ROOT, 200, "Usage of every account, with totals");
        op(EXPORT, "exportUsage", "usage", Tier.ROOT, 200, "Every account's closed UTC days of usage as NDJSON, in "
                + "(date, account) order, a page at a time; the Next-Cursor header resumes after the last line");
        op("GET /admin/audit", "listAuditEntries", "audit", Tier.ROOT_OR_SERVICE, 200,
                "Audit entries, newest first, one page at a time");
        op("GET /admin/stripe/events", "listStripeEvents", "billing", Tier.ROOT, 200,
                "Stripe events received, with what each one did");
        op("POST /webhooks/stripe", "receiveStripeEvent", "billing", Tier.STRIPE, 200,
                "Receive a signed Stripe event");
        op("GET /api/plans", "listPlans", "plans", Tier.PUBLIC, 200, "The plan catalogue the server enforces");
        op("GET /.well-known/jwks.json", "getJwks", "tunnels", Tier.PUBLIC, 200,
                "Public keys that verify a tunnel's grant");
        op("POST /v1/tunnels", "registerTunnel", "tunnels", Tier.API, 201,
                "Register a tunnel and get its signed grant", 409, 429);
        op("GET /v1/tunnels", "listTunnels", "tunnels", Tier.ACCOUNT, 200, "The account's open tunnels, oldest first");
        op("GET /v1/tunnels/{id}", "getTunnel", "tunnels", Tier.ACCOUNT, 200, "One tunnel with live counters");
        op("POST /v1/tunnels/{id}/lease", "leaseCredits", "tunnels", Tier.REPORT, 200,
                "Report consumption and lease more credits", 409, 410, 429);
        op("POST /v1/tunnels/{id}/close", "closeTunnel", "tunnels", Tier.REPORT, 200,
                "Report the last consumption and close the tunnel", 409, 410);
        op("GET /v1/subdomains", "listSubdomains", "subdomains", Tier.SERVICE, 200, "The account's reserved subdomains");
        op("POST /v1/subdomains", "reserveSubdomain", "subdomains", Tier.SERVICE, 201, "Reserve a subdomain", 409);
        op("DELETE /v1/subdomains/{name}", "releaseSubdomain", "subdomains", Tier.SERVICE, 200,
                "Release a reserved subdomain");
        op("GET /v1/workers", "listWorkers", "workers", Tier.SERVICE, 200, "The account's workers");
        op("POST /v1/workers", "createWorker", "workers", Tier.SERVICE, 201, "Create a worker", 409);
        op("DELETE /v1/workers/{id}", "deleteWorker", "workers", Tier.SERVICE, 200, "Delete a worker");
        op("GET /v1/usage", "getUsage", "usage", Tier.ACCOUNT, 200,
                "The caller's usage view (or an owner's, with X-Account)");
        op("GET /v1/usage/series", "getUsageSeries", "usage", Tier.ACCOUNT, 200,
                "Daily totals of the last closed UTC days");
        op("GET /v1/memberships", "listMemberships", "team", Tier.ANY_TOKEN, 200,
                "The owners whose usage the caller's account may read with X-Account");
        op("POST /admin/accounts/{slug}/grants", "createGrant", "credit", Tier.ROOT, 201,
                "Grant prepaid credits (in credits or dollars), effective now or later, optionally expiring", 409);
        op("GET /admin/accounts/{slug}/grants", "listGrants", "credit", Tier.MANAGER, 200,
                "The account's grants, oldest first: those not ended (status=active, the default) or all");
        op("POST /admin/accounts/{slug}/grants/{id}/void", "voidGrant", "credit", Tier.ROOT, 200,
                "Void what a grant still holds (409 GRANT_VOIDED if it was voided or has expired)", 409);
        op("GET /admin/accounts/{slug}/ledger", "listLedgerEntries", "credit", Tier.MANAGER, 200,
                "The append-only ledger of the account's balance: grant, consume, expire and void entries");
        op("GET /admin/accounts/{slug}/balance-alert", "getBalanceAlert", "credit", Tier.MANAGER, 200,
                "The balance below which balance.low is sent (null: none)");
        op("PUT /admin/accounts/{slug}/balance-alert", "setBalanceAlert", "credit", Tier.MANAGER, 200,
                "Set (or, with neither field, clear) the balance below which balance.low is sent");
        op("POST /admin/accounts/{slug}/budgets", "createBudget", "budgets", Tier.MANAGER, 201,
                "Add a budget for the account or one token: a day or month limit that notifies or blocks, with "
                + "alert thresholds (409 BUDGET_LIMIT_REACHED past 50)", 409);
        op("GET /admin/accounts/{slug}/budgets", "listBudgets", "budgets", Tier.MANAGER, 200,
                "The account's budgets with what each has spent in its window, oldest first");
        op("GET /admin/accounts/{slug}/budgets/{id}", "getBudget", "budgets", Tier.MANAGER, 200, "One budget");
        op("PATCH /admin/accounts/{slug}/budgets/{id}", "updateBudget", "budgets", Tier.MANAGER, 200,
                "Change a budget's name, limit, action or thresholds");
        op("DELETE /admin/accounts/{slug}/budgets/{id}", "deleteBudget", "budgets", Tier.MANAGER, 200,
                "Delete a budget (what it counted stays billed)");
    }

    static final Map<String, String> TAGS = new LinkedHashMap<>();

    static {
        TAGS.put("accounts", "Accounts, their limits and suspension");
        TAGS.put("tokens", "Service and api tokens: mint, list, revoke, roll");
        TAGS.put("plans", "The plan catalogue, plan changes and their preview");
        TAGS.put("usage", "Usage views and daily series");
        TAGS.put("team", "Members that may read an owner's usage");
        TAGS.put("webhooks", "Webhook endpoints and their deliveries");
        TAGS.put("audit", "The audit log of every mutation");
        TAGS.put("billing", "Stripe events and the signed checkout reference");
        TAGS.put("tunnels", "The data plane: register, lease, close, read tunnels; grant keys");
        TAGS.put("subdomains", "Reserved subdomains");
        TAGS.put("workers", "Workers");
        TAGS.put("credit", "Prepaid credit: grants, the ledger, the balance alert");
        TAGS.put("budgets", "Budgets: spending caps and alert thresholds per account or token");
    }

    /** Response fields that can be null (and request fields that accept null), by schema. */
    static final Map<String, Set<String>> NULLABLE = new LinkedHashMap<>();

    static {
        NULLABLE.put("AccountView", Set.of("name", "email", "suspendedBy", "stripeCustomerId"));
        NULLABLE.put("PatchRequest", Set.of("name", "email", "stripeCustomerId", "funding"));
        NULLABLE.put("Page", Set.of("nextCursor"));
        NULLABLE.put("AuditPage", Set.of("nextCursor"));
        NULLABLE.put("Actor", Set.of("tokenId"));
        NULLABLE.put("Entry", Set.of("account", "target", "outcome", "requestId", "detail"));
        NULLABLE.put("Minted", Set.of("name", "expiresAt"));
        NULLABLE.put("Listed", Set.of("name", "lastUsedAt", "expiresAt", "revokedAt"));
        NULLABLE.put("Meter", Set.of("resetAt"));
        NULLABLE.put("Window", Set.of("resetAt"));
        NULLABLE.put("PlanView", Set.of("passwordTunnels", "inactivityTimeoutSeconds"));
        NULLABLE.put("StoredEvent", Set.of("customer", "outcome"));
        NULLABLE.put("Received", Set.of("outcome"));
        NULLABLE.put("TunnelView", Set.of("lastActivityAt", "closedAt", "closeReason"));
        NULLABLE.put("WorkerView", Set.of("quarantinedAt"));
        NULLABLE.put("Attempt", Set.of("statusCode", "error"));
        NULLABLE.put("View", Set.of("balance"));
        NULLABLE.put("Balance", Set.of("nextExpiry"));
        NULLABLE.put("GrantRequest", Set.of("credits", "usd", "priority", "effectiveAt", "expiresAt", "note"));
        NULLABLE.put("Grant", Set.of("expiresAt", "voidedAt", "note"));
        NULLABLE.put("LedgerEntry", Set.of("grantId", "requestId"));
        NULLABLE.put("LedgerPage", Set.of("nextCursor"));
        NULLABLE.put("BalanceAlert", Set.of("belowCredits", "belowUsd"));
        NULLABLE.put("BalanceAlertRequest", Set.of("belowCredits", "belowUsd"));
        NULLABLE.put("BudgetRequest", Set.of("name", "tokenId", "limitUsd", "limitCredits", "thresholds"));
        NULLABLE.put("BudgetChange", Set.of("name", "limitUsd", "limitCredits", "action", "thresholds"));
        NULLABLE.put("ThresholdRequest", Set.of("pct", "usd"));
        NULLABLE.put("Threshold", Set.of("pct", "usd"));
        NULLABLE.put("Budget", Set.of("name", "tokenId"));
    }

    /** The contract's error codes, as the service answers them. */
    static final List<String> ERROR_CODES = Stream.of(ErrorCode.values()).map(ErrorCode::name).toList();

    /** Scalar types SmallRye emits as shared components; inlined so that a nullable one can say so in 3.0. */
    static final Set<String> SCALARS = Set.of("Instant", "UUID", "LocalDate");

    private static final String BEARER = "bearer";
    private static final Set<String> IDEMPOTENT = Set.of("POST /v1/tunnels", "POST /v1/tunnels/{id}/lease",
            "POST /v1/tunnels/{id}/close", "POST /admin/accounts/{slug}/grants");
    private static final Set<String> RATE_LIMITED = Set.of("POST /v1/tunnels", "POST /v1/tunnels/{id}/lease");

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents();
        Map<String, Schema> scalars = new LinkedHashMap<>();
        for (String name : SCALARS) {
            Schema scalar = components.getSchemas().get(name);
            if (scalar != null) {
                scalars.put(name, scalar);
                components.removeSchema(name);
            }
        }
        components.getSchemas().values().forEach(schema -> inlineScalars(schema, scalars));
        components.getSchemas().values().forEach(ApiDescriptionFilter::widenIntegers);
        addTotalWindow(components);
        markNullable(components);
        addErrorSchema(components);
        addHeaders(components);
        addResponses(components);
        components.addSecurityScheme(BEARER, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP)
                .scheme("bearer")
                .description("`Authorization: Bearer <token>`: a root (`vtr_`), service (`vts_<slug>_`) or api "
                        + "(`vta_<slug>_`) token, or the legacy TUNNEL_SECRET. Each operation says which."));
        openAPI.setTags(new ArrayList<>());
        TAGS.forEach((name, description) -> openAPI.addTag(OASFactory.createTag().name(name).description(description)));

        Set<String> seen = new TreeSet<>();
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            item.setDescription(null);
            item.setSummary(null);
            item.getOperations().forEach((method, operation) -> {
                String key = method + " " + path;
                Op op = OPERATIONS.get(key);
                if (op == null) {
                    throw new IllegalStateException("No API description for " + key + " in " + getClass().getName());
                }
                seen.add(key);
                describe(key, path, op, operation, scalars);
            });
        });
        Set<String> stale = new TreeSet<>(OPERATIONS.keySet());
        stale.removeAll(seen);
        if (!stale.isEmpty()) {
            throw new IllegalStateException("API description for operations that do not exist: " + stale);
        }
    }

    private void describe(String key, String path, Op op, Operation operation, Map<String, Schema> scalars) {
        operation.setOperationId(op.operationId());
        operation.setSummary(op.summary());
        operation.setTags(List.of(op.tag()));
        String description = "Who may call: " + op.tier().who + ".";
        if (operation.getRequestBody() != null) {
            description += key.equals("POST /webhooks/stripe")
                    ? " The raw body (at most 1 MiB) is what Stripe signed."
                    : " JSON body of at most 64 KiB; an unknown field, a wrong type or an out-of-range number is 400.";
            // Register, lease, close and roll also take no body at all, but a generated client sends an absent
            // optional body as JSON null, which is refused (400): the document asks for a JSON object, `{}` at least.
            operation.getRequestBody().setRequired(true);
            if (key.equals("POST /webhooks/stripe")) {
                // The resource reads the raw bytes to check the signature; what Stripe sends is a JSON event.
                operation.getRequestBody().setContent(OASFactory.createContent().addMediaType("application/json",
                        OASFactory.createMediaType().schema(OASFactory.createSchema().addType(SchemaType.OBJECT)
                                .description("A Stripe event (`id`, `type`, `created`, `data.object`)."))));
            }
            operation.getRequestBody().getContent().getMediaTypes().values()
                    .forEach(media -> inlineScalars(media.getSchema(), scalars));
        }
        if (IDEMPOTENT.contains(key)) {
            description += " Safe to retry with an `Idempotency-Key`: the first answer is replayed with "
                    + "`Idempotent-Replayed: true`, and it takes effect once.";
        }
        operation.setDescription(description);
        if (op.tier() == Tier.PUBLIC || op.tier() == Tier.STRIPE) {
            operation.setSecurity(new ArrayList<>());
        } else {
            operation.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme(BEARER)));
        }
        if (operation.getParameters() != null) {
            operation.getParameters().forEach(ApiDescriptionFilter::describeParameter);
        }

        APIResponse success = operation.getResponses().getAPIResponse("200");
        success.setDescription(op.status() == 201 ? "Created" : "OK");
        success.addHeader("X-Request-Id", ref("X-Request-Id"));
        if (RATE_LIMITED.contains(key)) {
            success.addHeader("RateLimit-Limit", ref("RateLimit-Limit"));
            success.addHeader("RateLimit-Remaining", ref("RateLimit-Remaining"));
            success.addHeader("RateLimit-Reset", ref("RateLimit-Reset"));
        }
        if (IDEMPOTENT.contains(key)) {
            success.addHeader("Idempotent-Replayed", ref("Idempotent-Replayed"));
        }
        if (key.equals(EXPORT)) {
            success.addHeader("Next-Cursor", ref("Next-Cursor"));
            success.addHeader("Link", ref("Link"));
        }
        success.getContent().getMediaTypes().values().forEach(media -> inlineScalars(media.getSchema(), scalars));
        // SmallRye's generic "400 Bad Request" (no body) is replaced by the contract's error responses.
        Map<String, APIResponse> documented = new LinkedHashMap<>();
        documented.put(Integer.toString(op.status()), success);
        for (int status : errorsOf(key, path, op, operation)) {
            // A 429 is RATE_LIMITED on every authenticated operation, and QUOTA_EXCEEDED too where credits are spent.
            String response = status == 429 && !op.extraErrors().contains(429) ? "RateLimited" : RESPONSES.get(status);
            documented.put(Integer.toString(status), OASFactory.createAPIResponse().ref(response));
        }
        documented.put("default", OASFactory.createAPIResponse().ref("Error"));
        operation.getResponses().setAPIResponses(documented);
    }

    /**
     * Path parameters checked by their format, as the contract's "bad slug" is: a malformed one is 400. An id is only
     * looked up, so a malformed id is an unknown one: 404.
     */
    static final Set<String> FORMATTED_PATH_PARAMETERS = Set.of("{slug}", "{member}", "{name}");

    private static List<Integer> errorsOf(String key, String path, Op op, Operation operation) {
        Set<Integer> errors = new TreeSet<>(op.extraErrors());
        boolean hasInput = operation.getRequestBody() != null || (operation.getParameters() != null
                && operation.getParameters().stream().anyMatch(p -> p.getIn() != Parameter.In.PATH))
                || FORMATTED_PATH_PARAMETERS.stream().anyMatch(path::contains);
        if (hasInput) {
            errors.add(400);
        }
        // PayloadLimits refuses any request whose body is over the limit, whatever the operation.
        errors.add(413);
        if (op.tier() != Tier.PUBLIC && op.tier() != Tier.STRIPE) {
            errors.add(401);
            // An address that presented too many unknown tokens (AuthFailureLimit).
            errors.add(429);
            if (op.tier() != Tier.ANY_TOKEN) {
                errors.add(403);
            }
        }
        if (path.contains("{")) {
            errors.add(404);
        }
        if (!key.equals("GET /.well-known/jwks.json")) {
            errors.add(503);
        }
        return new ArrayList<>(errors);
    }

    private static void describeParameter(Parameter parameter) {
        switch (parameter.getName()) {
            case "Idempotency-Key" -> {
                parameter.setDescription("1–255 printable ASCII characters. Registration and grant keys are "
                        + "remembered per account for 24 h; lease and close keys per tunnel, for its latest report.");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.STRING).minLength(1).maxLength(255)
                        .pattern("^[\\x20-\\x7E]+$"));
            }
            case "X-Account" -> parameter.setDescription(
                    "Read the usage of this owner account instead (the caller's account must be its member).");
            case "Stripe-Signature" -> {
                parameter.setRequired(true);
                parameter.setDescription("`t=<unix>,v1=<hex HMAC-SHA256 of \"t.rawBody\">`, one or more `v1=`.");
            }
            case "limit" -> {
                parameter.setDescription("Page size: 1..500 for accounts (default 50), 1..1000 for the audit log "
                        + "and the ledger (default 100), 1..10000 lines for the usage export (default 1000).");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.INTEGER).minimum(
                        java.math.BigDecimal.ONE));
            }
            case "cursor" -> parameter.setDescription("The `nextCursor` of the previous page.");
            case "after" -> parameter.setDescription("The `Next-Cursor` of an earlier page: the export resumes "
                    + "after that page's last line.");
            case "days" -> {
                parameter.setDescription("1..90, default 30.");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.INTEGER)
                        .minimum(java.math.BigDecimal.ONE).maximum(java.math.BigDecimal.valueOf(90)));
            }
            case "q" -> {
                parameter.setDescription("Keep accounts whose slug, name or email starts with this (case-insensitive; "
                        + "`%` and `_` match only themselves).");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.STRING).maxLength(200));
            }
            case "plan" -> parameter.setDescription("The plan id to preview (free, starter, pro).");
            case "status" -> parameter.setDescription("`active` (the default: grants not expired or voided) or "
                    + "`all`.");
            case "order" -> parameter.setDescription("`desc` (the default: newest first) or `asc`.");
            case "token" -> parameter.setDescription("Only the tunnels this token registered: an api token's id, "
                    + "or `tunnel-secret`; limits, remaining, level and balance stay the account's.");
            case "by" -> {
                parameter.setDescription("`token`: each bucket also carries `tokens`, the credits billed to each "
                        + "token's tunnels that day.");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.STRING)
                        .enumeration(new ArrayList<>(List.of("token"))));
            }
            case "account" -> parameter.setDescription("Only this account's entries (a service token: its own).");
            // Path parameters: the formatted ones are refused as 400 when malformed (FORMATTED_PATH_PARAMETERS).
            case "slug", "member" -> {
                parameter.setDescription("An account's slug: 2-63 characters of a-z, 0-9 and '-', starting with a "
                        + "letter or digit; anything else is 400.");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.STRING).pattern(Slugs.PATTERN));
            }
            case "name" -> {
                parameter.setDescription("The subdomain, a DNS label: 1-63 characters of a-z, 0-9 and '-', not "
                        + "starting or ending with '-'; anything else is 400.");
                parameter.setSchema(OASFactory.createSchema().addType(SchemaType.STRING).pattern(DnsLabel.PATTERN));
            }
            case "id" -> parameter.setDescription(
                    "The id Sluice gave it (a UUID); anything else is an unknown id, 404.");
            default -> {
            }
        }
    }

    private static final Map<Integer, String> RESPONSES = Map.of(400, "BadRequest", 401, "Unauthorized", 403,
            "Forbidden", 404, "NotFound", 409, "Conflict", 410, "Gone", 413, "PayloadTooLarge", 429,
            "QuotaExceeded", 503, "Unavailable");

    private static final String RATE_LIMITED_TEXT = "RATE_LIMITED: this client address presented too many unknown "
            + "tokens within a minute; only tokens that authenticated from it in the last hour pass until "
            + "`Retry-After`.";

    private static void addResponses(Components components) {
        errorResponse(components, "BadRequest", "VALIDATION_FAILED: malformed JSON, an unknown field, a wrong type, "
                + "an out-of-range number or parameter, a malformed slug or subdomain in the path; `field` names the "
                + "culprit.");
        errorResponse(components, "Unauthorized", "UNAUTHORIZED: the token is missing, malformed, unknown, revoked "
                + "or expired.").addHeader("WWW-Authenticate", ref("WWW-Authenticate"));
        errorResponse(components, "Forbidden", "FORBIDDEN: the wrong tier or another account. On the data plane "
                + "also ACCOUNT_SUSPENDED, TUNNEL_LIMIT_REACHED, PLAN_LIMIT_REACHED or "
                + "RESERVED_SUBDOMAIN_NOT_ALLOWED, with `upgradeUrl`.");
        errorResponse(components, "NotFound", "NOT_FOUND: no such account, token, tunnel, webhook or member.");
        errorResponse(components, "Conflict", "ACCOUNT_EXISTS, GLOBAL_CEILING_EXCEEDED (with `window`, `ceiling`, "
                + "`allocated`, `requested` in credits), SUBDOMAIN_TAKEN or IDEMPOTENCY_CONFLICT.");
        errorResponse(components, "Gone", "TUNNEL_CLOSED, with `reason`; the report was charged first.")
                .addHeader("Idempotent-Replayed", ref("Idempotent-Replayed"));
        errorResponse(components, "PayloadTooLarge", "PAYLOAD_TOO_LARGE: the body is over 64 KiB (1 MiB for Stripe).");
        errorResponse(components, "QuotaExceeded", "QUOTA_EXCEEDED: no credits remain; `scope` names the binding "
                + "window and `retryAfter` the seconds until it resets. Or " + RATE_LIMITED_TEXT)
                .addHeader("Retry-After", ref("Retry-After"))
                .addHeader("RateLimit-Limit", ref("RateLimit-Limit"))
                .addHeader("RateLimit-Remaining", ref("RateLimit-Remaining"))
                .addHeader("RateLimit-Reset", ref("RateLimit-Reset"))
                .addHeader("Idempotent-Replayed", ref("Idempotent-Replayed"));
        errorResponse(components, "RateLimited", RATE_LIMITED_TEXT).addHeader("Retry-After", ref("Retry-After"));
        errorResponse(components, "Unavailable", "UNAVAILABLE: the database cannot be reached; nothing was granted "
                + "or committed.");
        errorResponse(components, "Error", "Any other refusal (405, 406, 415, or a 500 INTERNAL), with the same "
                + "error body.");
    }

    private static APIResponse errorResponse(Components components, String name, String description) {
        APIResponse response = OASFactory.createAPIResponse().description(description)
                .content(OASFactory.createContent().addMediaType("application/json",
                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref("Error"))))
                .addHeader("X-Request-Id", ref("X-Request-Id"));
        components.addResponse(name, response);
        return response;
    }

    private static void addHeaders(Components components) {
        header(components, "X-Request-Id", SchemaType.STRING, "This request's id, also in the log and audit entries.");
        header(components, "RateLimit-Limit", SchemaType.INTEGER, "The account's daily limit in credits.");
        header(components, "RateLimit-Remaining", SchemaType.INTEGER, "Credits remaining in the binding window.");
        header(components, "RateLimit-Reset", SchemaType.INTEGER, "Seconds until the daily window resets.");
        header(components, "Retry-After", SchemaType.INTEGER,
                "Seconds until the binding window resets (QUOTA_EXCEEDED), or until the address may try again "
                        + "(RATE_LIMITED).");
        header(components, "Idempotent-Replayed", SchemaType.STRING,
                "`true` when this is the replayed answer of an earlier request with the same Idempotency-Key.");
        header(components, "WWW-Authenticate", SchemaType.STRING, "`Bearer`.");
        header(components, "Next-Cursor", SchemaType.STRING, "The cursor after the page's last line (the request's "
                + "own `after` when the page is empty): pass it as `after` to resume, now or later.");
        header(components, "Link", SchemaType.STRING,
                "`<...>; rel=\"next\"` when the page was full: the request for the next page.");
    }

    private static void header(Components components, String name, SchemaType type, String description) {
        Schema schema = OASFactory.createSchema().addType(type);
        if (type == SchemaType.INTEGER) {
            schema.format("int64");
        }
        components.addHeader(name, OASFactory.createHeader().description(description).schema(schema));
    }

    private static Header ref(String header) {
        return OASFactory.createHeader().ref(header);
    }

    private static void addErrorSchema(Components components) {
        Schema code = OASFactory.createSchema().addType(SchemaType.STRING).enumeration(new ArrayList<>(ERROR_CODES));
        Schema error = OASFactory.createSchema().addType(SchemaType.OBJECT)
                .description("Every error body: `code` and `message`, and the extras that code carries.")
                .required(List.of("code", "message"))
                .addProperty("code", code)
                .addProperty("message", string("Human-readable; never a stack trace or a class name."))
                .addProperty("requestId", string("The request's id (as in X-Request-Id)."))
                .addProperty("field", string("VALIDATION_FAILED: the offending field or parameter."))
                .addProperty("upgradeUrl", string("TUNNEL_LIMIT_REACHED, PLAN_LIMIT_REACHED, "
                        + "RESERVED_SUBDOMAIN_NOT_ALLOWED: where to upgrade."))
                .addProperty("window", oneOf("GLOBAL_CEILING_EXCEEDED: the window over the ceiling.", "day", "month"))
                .addProperty("ceiling", credits("GLOBAL_CEILING_EXCEEDED: the ceiling, in credits."))
                .addProperty("allocated", credits("GLOBAL_CEILING_EXCEEDED: already allocated, in credits."))
                .addProperty("requested", credits("GLOBAL_CEILING_EXCEEDED: what the change asked for, in credits."))
                .addProperty("reason", oneOf("TUNNEL_CLOSED: why the tunnel closed.",
                        Stream.of(CloseReason.values()).map(CloseReason::wire).toArray(String[]::new)))
                .addProperty("error", oneOf("QUOTA_EXCEEDED: Volter-compatible marker.", "quota_exceeded"))
                .addProperty("scope", oneOf("QUOTA_EXCEEDED: the binding window.", "day", "month", "bytes",
                        "sessionSeconds", "balance", "budget"))
                .addProperty("budgetId", string("QUOTA_EXCEEDED with scope budget: the budget that has nothing "
                        + "left.").format("uuid"))
                .addProperty("retryAfter", credits("QUOTA_EXCEEDED: seconds until the window resets."));
        components.addSchema("Error", error);
    }

    private static Schema string(String description) {
        return OASFactory.createSchema().addType(SchemaType.STRING).description(description);
    }

    private static Schema credits(String description) {
        return OASFactory.createSchema().addType(SchemaType.INTEGER).format("int64").description(description);
    }

    private static Schema oneOf(String description, String... values) {
        return string(description).enumeration(new ArrayList<>(List.of(values)));
    }

    private static void markNullable(Components components) {
        NULLABLE.forEach((schemaName, fields) -> {
            Schema schema = components.getSchemas().get(schemaName);
            if (schema == null) {
                throw new IllegalStateException("NULLABLE names a schema that does not exist: " + schemaName);
            }
            for (String field : fields) {
                Schema property = schema.getProperties() == null ? null : schema.getProperties().get(field);
                if (property == null) {
                    throw new IllegalStateException("NULLABLE names a field that does not exist: " + schemaName
                            + "." + field);
                }
                if (property.getRef() != null) {
                    // 3.0 ignores siblings of a $ref: the referenced object (used only here) is what may be null.
                    property = components.getSchemas().get(property.getRef().substring(property.getRef()
                            .lastIndexOf('/') + 1));
                }
                property.addType(SchemaType.NULL);
            }
        });
    }

    /**
     * Credit windows are BigIntegers, which SmallRye documents as an integer of no format; generators then pick a
     * 32-bit type that a monthly limit overflows. Every count Sluice returns fits in 64 bits.
     */
    private static void widenIntegers(Schema schema) {
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(ApiDescriptionFilter::widenIntegers);
        }
        if (schema.getItems() != null) {
            widenIntegers(schema.getItems());
        }
        if (schema.getType() != null && schema.getType().contains(SchemaType.INTEGER) && schema.getFormat() == null) {
            schema.setFormat("int64");
        }
    }

    /**
     * The totals of GET /admin/usage are exact sums over all accounts, which can pass 64 bits where single accounts
     * saturate: their windows are documented as numbers (a BigDecimal in a Java client), not int64.
     */
    private static void addTotalWindow(Components components) {
        Schema window = components.getSchemas().get("Window");
        Schema totals = components.getSchemas().get("Totals");
        if (window == null || totals == null) {
            throw new IllegalStateException("Window and Totals schemas expected");
        }
        Schema totalWindow = OASFactory.createSchema().addType(SchemaType.OBJECT);
        window.getProperties().forEach((name, property) -> totalWindow.addProperty(name,
                Set.of("used", "leased", "unbilled", "limit", "remaining").contains(name)
                        ? OASFactory.createSchema().addType(SchemaType.NUMBER)
                                .description("An exact sum over all accounts, in credits; it can exceed 64 bits.")
                        : property));
        components.addSchema("TotalWindow", totalWindow);
        totals.addProperty("day", OASFactory.createSchema().ref("TotalWindow"));
        totals.addProperty("month", OASFactory.createSchema().ref("TotalWindow"));
    }

    /** Replaces references to the scalar components by a copy of them, recursively. */
    private static void inlineScalars(Schema schema, Map<String, Schema> scalars) {
        if (schema == null) {
            return;
        }
        if (schema.getProperties() != null) {
            for (Map.Entry<String, Schema> property : new LinkedHashMap<>(schema.getProperties()).entrySet()) {
                Schema inline = inlined(property.getValue(), scalars);
                if (inline != null) {
                    schema.addProperty(property.getKey(), inline);
                } else {
                    inlineScalars(property.getValue(), scalars);
                }
            }
        }
        if (schema.getItems() != null) {
            Schema inline = inlined(schema.getItems(), scalars);
            if (inline != null) {
                schema.setItems(inline);
            } else {
                inlineScalars(schema.getItems(), scalars);
            }
        }
    }

    private static Schema inlined(Schema schema, Map<String, Schema> scalars) {
        String ref = schema.getRef();
        if (ref == null || !ref.startsWith("#/components/schemas/")) {
            return null;
        }
        Schema scalar = scalars.get(ref.substring("#/components/schemas/".length()));
        if (scalar == null) {
            return null;
        }
        // Copy type and format only: the example and the UUID's pattern add nothing a client needs.
        Schema copy = OASFactory.createSchema().type(new ArrayList<>(scalar.getType())).format(scalar.getFormat());
        if (schema.getDescription() != null) {
            copy.setDescription(schema.getDescription());
        }
        return copy;
    }
}
