package dev.sluice.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Who may call a resource method, checked by {@link AccessFilter} before the body is read, so a caller without
 * the right token learns nothing from validation errors.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Access {

    Who value();

    enum Who {
        /** The root token only. */
        ROOT,
        /** Root, or the service token of the {@code {slug}} in the path ({@code svc*}). */
        MANAGER,
        /** Root, or any service token, which is then limited to its own account by the service. */
        ROOT_OR_SERVICE,
        /** An api token (or the legacy TUNNEL_SECRET): registration, which checks suspension first. */
        API,
        /** A report (lease, close): an api token, or a revoked or expired one on the tunnels it registered. */
        REPORT,
        /** An api or service token: reads of the token's own account. */
        ACCOUNT_TOKEN,
        /** Any valid token, root's included (root belongs to no account, so it reads what is empty for it). */
        ANY_TOKEN,
        /** A service token: the owner managing its own account's resources. */
        SERVICE
    }
}
