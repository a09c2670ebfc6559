package dev.airouter.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Directory trees for tests and benchmarks that must edit a copy, never the repository. */
public final class Trees {
    private Trees() {}

    /**
     * Copies a directory tree (files get new modification times).
     *
     * @param source the tree to copy
     * @param target where the copy goes (created)
     * @param skip paths relative to {@code source} left out with everything below them, e.g.
     *     {@code rel -> rel.startsWith("node_modules")}
     * @throws IOException if reading or writing fails
     */
    public static void copy(Path source, Path target, Predicate<Path> skip) throws IOException {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = source.relativize(p);
                if (!rel.toString().isEmpty() && skip.test(rel)) {
                    continue;
                }
                Path to = target.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
    }

    /** Skips Python's bytecode caches. */
    public static boolean pythonCache(Path relative) {
        for (Path part : relative) {
            if (part.toString().equals("__pycache__")) {
                return true;
            }
        }
        return false;
    }
}
