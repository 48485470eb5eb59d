package dev.sluice.account;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.auth.AccountDirectory;
import dev.sluice.auth.Principal;

/**
 * What authentication asks of accounts: whether one is suspended, and the internal account behind the legacy
 * {@code TUNNEL_SECRET}, which provisions itself on first use.
 */
@ApplicationScoped
public class InternalAccount implements AccountDirectory {

    @Inject
    AccountStore accounts;

    private volatile Principal principal;

    @Override
    public boolean isSuspended(String slug) {
        Account account = Account.bySlug(slug);
        return account != null && !account.isActive();
    }

    @Override
    public Principal internalPrincipal() {
        Principal known = principal;
        if (known == null) {
            Account account = accounts.provisionInternal();
            known = new Principal(Principal.Kind.API, account.accountId(), account.slug(), null);
            principal = known;
        }
        return known;
    }
}
