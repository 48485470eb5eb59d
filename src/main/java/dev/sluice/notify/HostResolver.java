package dev.sluice.notify;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.quarkus.runtime.StartupEvent;

/**
 * Resolves webhook targets' hosts without holding a thread while DNS answers. A blocked {@code getaddrinfo} cannot
 * be cancelled and holds its thread for as long as a nameserver stays silent; netty's resolver (the one Vert.x uses)
 * sends the queries from one thread of its own, {@code webhook-dns}, which serves nothing else, reading
 * {@code /etc/hosts} and {@code /etc/resolv.conf} as the system does (or {@code WEBHOOK_NAMESERVERS}). Every lookup
 * ends by {@code WEBHOOK_RESOLVE_TIMEOUT}, answered or not.
 * <p>
 * A bean of its own so a test can stand in for DNS (a name that answers one address when checked and another
 * later). The sender connects to the address it checked and never resolves twice, so what DNS says afterwards does
 * not matter.
 */
@ApplicationScoped
public class HostResolver {

    private static final Pattern NAMESERVER = Pattern.compile("\\[(?<bracketed>[^]]+)](?::(?<port>\\d{1,5}))?"
            + "|(?<plain>[^:]+)(?::(?<plainPort>\\d{1,5}))?|(?<v6>[0-9A-Fa-f:.]+)");

    @Inject
    WebhookConfig config;

    private Duration timeout;
    private EventLoopGroup loop;
    private DnsNameResolver dns;

    @PostConstruct
    void open() {
        timeout = requirePositive("WEBHOOK_RESOLVE_TIMEOUT", config.webhookResolveTimeout());
        DnsServerAddressStreamProvider servers = config.webhookNameservers()
                .<DnsServerAddressStreamProvider>map(list -> new SequentialDnsServerAddressStreamProvider(
                        list.stream().map(HostResolver::nameserver).toList()))
                .orElseGet(DnsServerAddressStreamProviders::platformDefault);
        loop = new NioEventLoopGroup(1, new DefaultThreadFactory("webhook-dns", true));
        dns = new DnsNameResolverBuilder(loop.next()).datagramChannelType(NioDatagramChannel.class)
                // Answers too large for UDP are asked again over TCP.
                .socketChannelType(NioSocketChannel.class)
                .nameServerProvider(servers).queryTimeoutMillis(timeout.toMillis())
                // Nothing is cached: creations and deliveries resolve afresh anyway, and a cache would let names a
                // tenant makes up (each answer up to 64 KiB over TCP) pile up in memory.
                .resolveCache(NoopDnsCache.INSTANCE).cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED).build();
    }

    /** Building the resolver checks its settings; observing start-up does it before the first request. */
    void checkAtStartup(@Observes StartupEvent event) {
        // nothing more: open() has run
    }

    @PreDestroy
    void close() {
        dns.close();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /**
     * Every address of {@code host} (an address literal is its own answer). Fails with an
     * {@link java.net.UnknownHostException} when it has none, with a {@link TimeoutException} when no answer came
     * within {@code WEBHOOK_RESOLVE_TIMEOUT}. Never blocks; completes on the resolver's own thread.
     */
    public CompletableFuture<List<InetAddress>> resolve(String host) {
        CompletableFuture<List<InetAddress>> answer = new CompletableFuture<>();
        Future<List<InetAddress>> lookup = dns.resolveAll(host);
        ScheduledFuture<?> deadline = loop.schedule(() -> {
            if (answer.completeExceptionally(unanswered())) {
                lookup.cancel(false);
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        lookup.addListener(done -> {
            deadline.cancel(false);
            if (done.isSuccess()) {
                answer.complete(lookup.getNow());
            } else {
                answer.completeExceptionally(timedOut(done.cause()) ? unanswered() : done.cause());
            }
        });
        return answer;
    }

    private TimeoutException unanswered() {
        return new TimeoutException("no answer within " + timeout);
    }

    /** Whether a lookup failed because its queries went unanswered, which may end it just before the deadline. */
    private static boolean timedOut(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DnsNameResolverTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The duration, or the start-up failure naming {@code variable} when it is not positive. */
    static Duration requirePositive(String variable, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalStateException(variable + " must be a positive ISO-8601 duration (such as PT2S), got "
                    + timeout + ".");
        }
        return timeout;
    }

    /** {@code address[:port]}, an IPv6 address with a port in brackets; port 53 by default. */
    static InetSocketAddress nameserver(String server) {
        Matcher parts = NAMESERVER.matcher(server.strip());
        InetAddress address = null;
        int port = 53;
        if (parts.matches()) {
            String host = parts.group("bracketed") != null ? parts.group("bracketed")
                    : parts.group("plain") != null ? parts.group("plain") : parts.group("v6");
            String given = parts.group("port") != null ? parts.group("port") : parts.group("plainPort");
            address = NetUtil.createInetAddressFromIpAddressString(host);
            port = given == null ? port : Integer.parseInt(given);
        }
        if (address == null || port < 1 || port > 65535) {
            throw new IllegalStateException("WEBHOOK_NAMESERVERS lists '" + server + "', which is not an IP address "
                    + "with an optional port (such as 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53).");
        }
        return new InetSocketAddress(address, port);
    }
}
