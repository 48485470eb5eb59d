package dev.sluice.account;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.auth.Principal;

/** The internal account behind the legacy {@code TUNNEL_SECRET}; it provisions itself on first use. */
@ApplicationScoped
public class InternalAccount {

    @Inject
    AccountService accounts;
    @Inject
    AccountDefaults defaults;

    private volatile Principal principal;

    public Principal legacyPrincipal() {
        Principal known = principal;
        if (known == null) {
            Account account = accounts.provisionInternal();
            known = new Principal(Principal.Kind.API, account.accountId, account.slug, null);
            principal = known;
        }
        return known;
    }
}
