package dev.airouter.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The Python AI router that the {@code dev.airouter:python-router} jar bundles. With that jar on the
 * class path (a runtime dependency beside {@code chat-backend}), a {@link ChatBackend} that spawns the
 * default router and has no {@link BackendConfig.Builder#routerDirectory(Path) routerDirectory} (and no
 * {@code ./python-router}) runs this one: no checkout of the sources is needed.
 *
 * <p>The sources are extracted once to {@code $XDG_CACHE_HOME/airouter/python-router-<hash>} (default
 * {@code ~/.cache/airouter/…}), named by a hash of their content, so a new jar never runs stale sources
 * and two processes extracting at the same moment end with one complete copy.
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>dev.airouter</groupId>
 *   <artifactId>python-router</artifactId>
 *   <scope>runtime</scope>
 * </dependency>
 * }</pre>
 */
public final class BundledRouter {
    private static final String ROOT = "python-router/";

    private BundledRouter() {}

    /** @return whether the python-router jar is on the class path (its file list is a resource) */
    public static boolean isAvailable() {
        return BundledRouter.class.getClassLoader().getResource(ROOT + "FILES") != null;
    }

    /**
     * Extracts the bundled router, unless this content was extracted before.
     *
     * @return the directory holding the {@code ai_router} package (a router's working directory), or
     *     empty when the python-router jar is not on the class path
     * @throws UncheckedIOException if the cache directory cannot be written
     * @throws IllegalStateException if the jar's file list names a file the jar lacks or an unsafe path
     */
    public static Optional<Path> extract() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return extract(base.resolve("airouter"));
    }

    /**
     * Extracts the bundled router into {@code cacheDirectory}, unless this content is there already.
     *
     * @param cacheDirectory where the {@code python-router-<hash>} directory goes (made if missing)
     * @return the directory holding the {@code ai_router} package, or empty when the python-router jar
     *     is not on the class path
     * @throws UncheckedIOException if the directory cannot be written
     * @throws IllegalStateException if the jar's file list names a file the jar lacks or an unsafe path
     */
    public static Optional<Path> extract(Path cacheDirectory) {
        return extract(BundledRouter.class.getClassLoader(), cacheDirectory);
    }

    /** {@link #extract(Path)} from the resources of {@code loader}. */
    static Optional<Path> extract(ClassLoader loader, Path cacheDirectory) {
        try (InputStream list = loader.getResourceAsStream(ROOT + "FILES")) {
            if (list == null) {
                return Optional.empty();
            }
            List<String> files = new ArrayList<>();
            for (String line : new String(list.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String f = line.trim();
                if (!f.isEmpty()) {
                    if (f.contains("..") || f.startsWith("/")) {
                        throw new IllegalStateException("the bundled router's file list has an unsafe path: " + f);
                    }
                    files.add(f.startsWith(ROOT) ? f.substring(ROOT.length()) : f);
                }
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<byte[]> contents = new ArrayList<>();
            for (String f : files) {
                try (InputStream in = loader.getResourceAsStream(ROOT + f)) {
                    if (in == null) {
                        throw new IllegalStateException("a bundled router file is missing from the jar: " + f);
                    }
                    byte[] bytes = in.readAllBytes();
                    sha.update(f.getBytes(StandardCharsets.UTF_8));
                    sha.update(bytes);
                    contents.add(bytes);
                }
            }
            String hash = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
            Path target = cacheDirectory.resolve("python-router-" + hash);
            if (Files.isRegularFile(target.resolve("ai_router").resolve("__main__.py"))) {
                return Optional.of(target);
            }
            Files.createDirectories(cacheDirectory);
            Path tmp = Files.createTempDirectory(cacheDirectory, "extract-");
            for (int i = 0; i < files.size(); i++) {
                Path out = tmp.resolve(files.get(i));
                Files.createDirectories(out.getParent());
                Files.write(out, contents.get(i));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another process extracted the same content at the same moment: use theirs
                deleteTree(tmp);
            } catch (IOException e) {
                deleteTree(tmp);
                if (!Files.isDirectory(target)) {
                    throw e;
                }
            }
            return Optional.of(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the bundled python-router into " + cacheDirectory + ": "
                    + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a copy that lost the race; what cannot be deleted stays (it is in a cache directory). */
    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // leave it
        }
    }
}
