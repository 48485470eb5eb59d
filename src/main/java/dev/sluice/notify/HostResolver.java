package dev.sluice.notify;

import java.net.InetAddress;
import java.net.UnknownHostException;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Name resolution for webhook targets, a bean of its own so a test can stand in for DNS (a name that answers one
 * address when checked and another later). The sender connects to the address it checked and never resolves
 * twice, so what DNS says afterwards does not matter.
 */
@ApplicationScoped
public class HostResolver {

    public InetAddress[] resolve(String host) throws UnknownHostException {
        return InetAddress.getAllByName(host);
    }
}
