package dev.airouter.launcher;

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
 * Finds the python-router sources: {@code python-router/} beside the working directory (running
 * from the repository), else the copy bundled in the jar, extracted once to
 * {@code $XDG_CACHE_HOME/airouter/python-router-<hash>} (default {@code ~/.cache}), keyed by a
 * hash of the content so a new jar never runs stale sources.
 */
final class RouterSources {
    private static final String ROOT = "python-router/";

    private RouterSources() {}

    static Path locate() {
        Path local = Path.of("python-router");
        if (Files.isRegularFile(local.resolve("ai_router").resolve("__main__.py"))) {
            return local.toAbsolutePath();
        }
        return extract().orElseThrow(() -> new IllegalStateException(
                "the python-router sources are neither in ./python-router nor bundled in this jar;"
                        + " run from the repository root, or use --router-url or --router-command"));
    }

    /** @return whether this router directory is the repository's {@code python-router/}, not the jar's copy */
    static boolean isRepositoryCopy(Path routerDir) {
        return routerDir.toAbsolutePath().normalize().equals(Path.of("python-router").toAbsolutePath().normalize());
    }

    static Optional<Path> extract() {
        ClassLoader loader = RouterSources.class.getClassLoader();
        try (InputStream list = loader.getResourceAsStream(ROOT + "FILES")) {
            if (list == null) {
                return Optional.empty();
            }
            List<String> files = new ArrayList<>();
            for (String line : new String(list.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String f = line.trim();
                if (!f.isEmpty()) {
                    if (f.contains("..") || f.startsWith("/")) {
                        throw new IllegalStateException("bundled router file list has an unsafe path: " + f);
                    }
                    files.add(f.startsWith(ROOT) ? f.substring(ROOT.length()) : f);
                }
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<byte[]> contents = new ArrayList<>();
            for (String f : files) {
                try (InputStream in = loader.getResourceAsStream(ROOT + f)) {
                    if (in == null) {
                        throw new IllegalStateException("bundled router file missing from the jar: " + f);
                    }
                    byte[] bytes = in.readAllBytes();
                    sha.update(f.getBytes(StandardCharsets.UTF_8));
                    sha.update(bytes);
                    contents.add(bytes);
                }
            }
            String hash = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
            Path target = cacheDir().resolve("python-router-" + hash);
            if (Files.isRegularFile(target.resolve("ai_router").resolve("__main__.py"))) {
                return Optional.of(target);
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempDirectory(target.getParent(), "extract-");
            for (int i = 0; i < files.size(); i++) {
                Path out = tmp.resolve(files.get(i));
                Files.createDirectories(out.getParent());
                Files.write(out, contents.get(i));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another launcher extracted the same content at the same moment: use theirs
            } catch (IOException e) {
                if (!Files.isDirectory(target)) {
                    throw e;
                }
            }
            return Optional.of(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the bundled python-router: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("airouter");
    }
}
