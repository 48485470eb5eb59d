package dev.sluice.embedded;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.postgresql.util.PasswordUtil;

/**
 * The embedded default: a PostgreSQL server from the zonky binaries on the classpath (PostgreSQL 16), unpacked,
 * initialised and started in {@code SLUICE_DATA_DIR} (default {@code ./sluice-data}) when no datasource URL is
 * configured, so {@code java -jar} works on a machine with nothing but a JDK. It listens on 127.0.0.1 only, on a
 * free port, and is stopped when the service stops. PostgreSQL refuses to run as root, so under root the server
 * runs as {@code nobody} (via {@code runuser}) and owns only its data folder, which {@code nobody} must be able to
 * reach: see {@link #dataRoot}. No other local user may connect: see {@link #lockDown}.
 */
public final class EmbeddedPostgres {

    static final String VERSION = "16.6.0";
    static final String ARCHIVE = "/postgres-linux-x86_64.txz";
    static final String NOBODY = "nobody";
    static final Path DEFAULT = Path.of("sluice-data");
    /** Where root keeps it when {@code nobody} cannot enter the working folder (root's home is 0700). */
    static final Path ROOT_FALLBACK = Path.of("/var/lib/sluice");
    static final String SUPERUSER = "postgres";
    static final String PASSWORD_FILE = "postgres.password";
    /** The only way in: the superuser with its password, over loopback (the server opens no Unix socket). */
    static final String HBA = "# Sluice rewrites this file on every start.\n"
            + "host all " + SUPERUSER + " 127.0.0.1/32 scram-sha-256\n";

    private final Path root;
    private final boolean asNobody;
    private final int port;
    private final String password;

    private EmbeddedPostgres(Path root, boolean asNobody, int port, String password) {
        this.root = root;
        this.asNobody = asNobody;
        this.port = port;
        this.password = password;
    }

    /**
     * The folder to use: {@code SLUICE_DATA_DIR} if set, else {@code ./sluice-data}. Under root the server runs as
     * {@code nobody}, which cannot pass a folder closed to others (as {@code /root} is): then the default moves to
     * {@code /var/lib/sluice}, and such a {@code SLUICE_DATA_DIR} is refused with one line saying what to set, rather
     * than failing later inside {@code initdb}.
     */
    public static Path dataRoot(String configured) {
        boolean explicit = configured != null && !configured.isBlank();
        Path chosen = (explicit ? Path.of(configured) : DEFAULT).toAbsolutePath().normalize();
        if (!runsAsRoot()) {
            return chosen;
        }
        Optional<Path> closed = closedToOthers(chosen);
        if (closed.isEmpty()) {
            return chosen;
        }
        if (explicit || closedToOthers(ROOT_FALLBACK).isPresent()) {
            throw new IllegalStateException("under root the embedded PostgreSQL runs as 'nobody', which cannot enter "
                    + closed.get() + "; set SLUICE_DATA_DIR to a folder whose parents others may enter (e.g. "
                    + ROOT_FALLBACK + "), or QUARKUS_DATASOURCE_JDBC_URL to use your own PostgreSQL.");
        }
        System.out.println("Sluice: running as root in " + closed.get() + ", which the database user 'nobody' cannot "
                + "enter, so the embedded PostgreSQL keeps its data in " + ROOT_FALLBACK
                + " (set SLUICE_DATA_DIR to choose).");
        return ROOT_FALLBACK;
    }

    /** Starts the server (unpacking and initialising on first use) and returns it. */
    public static EmbeddedPostgres start(Path dataRoot) {
        try {
            Path root = dataRoot.toAbsolutePath().normalize();
            EmbeddedPostgres postgres = new EmbeddedPostgres(root, runsAsRoot(), freePort(),
                    PrivateFile.readOrCreate(root.resolve(PASSWORD_FILE), EmbeddedPostgres::newPassword));
            postgres.unpack();
            postgres.initialise();
            postgres.lockDown();
            postgres.run(postgres.bin("pg_ctl"), "-D", postgres.data().toString(), "-l",
                    postgres.root.resolve("postgres.log").toString(), "-w", "-t", "120", "-o",
                    "-p " + postgres.port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "start");
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::stop, "embedded-postgres-stop"));
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataRoot, e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public String username() {
        return SUPERUSER;
    }

    public String password() {
        return password;
    }

    void stop() {
        try {
            run(bin("pg_ctl"), "-D", data().toString(), "-m", "fast", "-w", "stop");
        } catch (IOException | RuntimeException e) {
            System.err.println("embedded PostgreSQL did not stop cleanly: " + e.getMessage());
        }
    }

    private Path binaries() {
        return root.resolve("postgres-" + VERSION);
    }

    private Path data() {
        return root.resolve("data");
    }

    private String bin(String name) {
        return binaries().resolve("bin").resolve(name).toString();
    }

    private void unpack() throws IOException {
        Path done = binaries().resolve(".unpacked");
        if (Files.exists(done)) {
            return;
        }
        Files.createDirectories(binaries());
        try (InputStream archive = EmbeddedPostgres.class.getResourceAsStream(ARCHIVE)) {
            if (archive == null) {
                throw new IOException("the PostgreSQL binaries (" + ARCHIVE + ") are not on the classpath");
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(
                    new XZCompressorInputStream(new BufferedInputStream(archive)))) {
                for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                    Path target = binaries().resolve(entry.getName()).normalize();
                    if (!target.startsWith(binaries())) {
                        throw new IOException("archive entry escapes its folder: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(target.getParent());
                        Files.deleteIfExists(target);
                        Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                                (entry.getMode() & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--"));
                    }
                }
            }
        }
        Files.writeString(done, VERSION);
    }

    private void initialise() throws IOException {
        if (Files.exists(data().resolve("PG_VERSION"))) {
            return;
        }
        Files.createDirectories(data());
        Files.setPosixFilePermissions(data(), PosixFilePermissions.fromString("rwx------"));
        if (asNobody) {
            UserPrincipalLookupService users = data().getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(data(), users.lookupPrincipalByName(NOBODY));
            Files.setOwner(root, users.lookupPrincipalByName(NOBODY));
        }
        // Refuses everyone until lockDown lets the service in.
        run(bin("initdb"), "-A", "reject", "-U", SUPERUSER, "-D", data().toString(), "-E", "UTF-8", "--locale=C");
    }

    /**
     * Lets only the service in, on every start, so a data folder an earlier version initialised with {@code trust}
     * is closed as well: {@code pg_hba.conf} is rewritten to {@link #HBA}, then the superuser's password is set
     * (single-user mode, before the server listens) to the one in {@value #PASSWORD_FILE}, which only the
     * service's user can read; the server is handed its SCRAM verifier, never the password. Both run as the
     * database's own user: under root, root writing into the folder {@code nobody} owns would follow any link
     * planted there.
     */
    private void lockDown() throws IOException {
        runWithInput(HBA, "tee", data().resolve("pg_hba.conf").toString());
        String setPassword;
        try {
            setPassword = PasswordUtil.genAlterUserPasswordSQL(SUPERUSER, password.toCharArray(), "scram-sha-256");
        } catch (SQLException e) {
            throw new IOException("could not encode the embedded PostgreSQL's password", e);
        }
        runWithInput(setPassword + "\n", bin("postgres"), "--single", "-D", data().toString(), "-c",
                "exit_on_error=on", SUPERUSER);
    }

    private static String newPassword() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private void run(String... command) throws IOException {
        runWithInput(null, command);
    }

    /** Runs the command as the database's user, {@code input} (if any) on its standard input. */
    private void runWithInput(String input, String... command) throws IOException {
        List<String> full = new ArrayList<>();
        if (asNobody) {
            full.addAll(List.of("runuser", "-u", NOBODY, "--"));
        }
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(root.resolve("commands.log").toFile()).start();
        try (var stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(Path.of(command[0]).getFileName() + " failed; see "
                        + root.resolve("commands.log") + " and " + root.resolve("postgres.log"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command[0], e);
        }
    }

    private static boolean runsAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The nearest existing parent of the folder that others (so {@code nobody}) may not pass through, if any. */
    private static Optional<Path> closedToOthers(Path folder) {
        for (Path parent = folder.getParent(); parent != null; parent = parent.getParent()) {
            try {
                if (Files.isDirectory(parent) && !Files.getPosixFilePermissions(parent)
                        .contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return Optional.of(parent);
                }
            } catch (IOException e) {
                return Optional.of(parent);
            }
        }
        return Optional.empty();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
