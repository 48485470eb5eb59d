package dev.sluice.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A secret the embedded default makes up on its first start and keeps in its data folder, readable by the service's
 * user only. Under root the folder belongs to {@code nobody}, so the file is never followed through a link.
 */
final class PrivateFile {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private PrivateFile() {
    }

    /** The file's content, trimmed; on the first call it is created from {@code fresh}. */
    static String readOrCreate(Path file, Supplier<String> fresh) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(file.getParent());
            FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
            // Written beside it and moved in whole, so a start that dies halfway leaves no empty secret behind.
            Path written = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".new", ownerOnly);
            Files.writeString(written, fresh.get() + "\n");
            Files.move(written, file, StandardCopyOption.ATOMIC_MOVE);
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(file + " is not a regular file");
        }
        // A copy restored with wider rights is closed again.
        Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(OWNER_ONLY);
        try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}
