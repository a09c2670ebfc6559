package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BundledRouter} on a class path laid out as the python-router jar is ({@code python-router/FILES}
 * and the files it lists). The real jar is exercised by examples/consumer ({@code .ci/check-published}).
 */
class BundledRouterTest {
    @TempDir
    Path temp;

    private ClassLoader jar(String fileList, String... files) throws Exception {
        Path root = temp.resolve("jar-" + System.nanoTime());
        Path dir = root.resolve("python-router");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("FILES"), fileList);
        for (String f : files) {
            Path out = dir.resolve(f);
            Files.createDirectories(out.getParent());
            Files.writeString(out, "# " + f + "\n");
        }
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
    }

    @Test
    void extractsOnceIntoADirectoryNamedByTheContent() throws Exception {
        ClassLoader loader = jar("ai_router/__init__.py\nai_router/__main__.py\n", "ai_router/__init__.py",
                "ai_router/__main__.py");
        Path cache = temp.resolve("cache");
        Path dir = BundledRouter.extract(loader, cache).orElseThrow();
        assertThat(dir.getParent()).isEqualTo(cache);
        assertThat(dir.getFileName().toString()).matches("python-router-[0-9a-f]{16}");
        assertThat(dir.resolve("ai_router/__main__.py")).hasContent("# ai_router/__main__.py");
        long modified = Files.getLastModifiedTime(dir.resolve("ai_router/__main__.py")).toMillis();

        assertThat(BundledRouter.extract(loader, cache)).contains(dir);
        assertThat(Files.getLastModifiedTime(dir.resolve("ai_router/__main__.py")).toMillis()).isEqualTo(modified);

        ClassLoader changed = jar("ai_router/__main__.py\nai_router/extra.py\n", "ai_router/__main__.py",
                "ai_router/extra.py");
        assertThat(BundledRouter.extract(changed, cache).orElseThrow()).isNotEqualTo(dir); // new content, new dir
    }

    @Test
    void manyProcessesExtractingAtOnceEndWithOneCompleteCopy() throws Exception {
        ClassLoader loader = jar("ai_router/__main__.py\n", "ai_router/__main__.py");
        Path cache = temp.resolve("cache");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Optional<Path>>> all = new ArrayList<>();
            Callable<Optional<Path>> extract = () -> BundledRouter.extract(loader, cache);
            for (int i = 0; i < 8; i++) {
                all.add(pool.submit(extract));
            }
            Path first = all.get(0).get().orElseThrow();
            for (Future<Optional<Path>> f : all) {
                assertThat(f.get()).contains(first);
            }
            assertThat(first.resolve("ai_router/__main__.py")).exists();
            try (Stream<Path> left = Files.list(cache)) {
                assertThat(left).containsExactly(first); // the copies that lost the race are gone
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withoutTheJarThereIsNothingToExtract() {
        ClassLoader empty = new URLClassLoader(new URL[0], null);
        assertThat(BundledRouter.extract(empty, temp.resolve("cache"))).isEmpty();
        assertThat(Files.exists(temp.resolve("cache"))).isFalse();
        assertThat(BundledRouter.isAvailable()).isFalse(); // chat-backend's own class path has no python-router jar
    }

    @Test
    void aFileListThatLeavesTheDirectoryOrNamesAMissingFileIsRefused() throws Exception {
        assertThatThrownBy(() -> BundledRouter.extract(jar("../evil.py\n"), temp.resolve("cache")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unsafe path: ../evil.py");
        assertThatThrownBy(() -> BundledRouter.extract(jar("ai_router/gone.py\n"), temp.resolve("cache")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("missing from the jar: ai_router/gone.py");
    }

    @Test
    void aBackendWithNoRouterToRunSaysWhatToAdd() throws Exception {
        // this module's working directory has no ./python-router and its class path no python-router jar
        BackendConfig config = BackendConfig.builder().port(0).routerPort(0).logDir(temp.resolve("logs"))
                .storeConfig(dev.airouter.session.SessionStoreConfig.builder().redisUrl("none").build()).build();
        assertThat(config.routerDirectory()).isEmpty();
        try (ChatBackend backend = ChatBackend.create(config)) {
            assertThatThrownBy(backend::start).hasMessageContaining("dev.airouter:python-router jar is not on the class path")
                    .hasMessageContaining("routerDirectory");
        }
    }
}
