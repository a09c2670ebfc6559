package dev.airouter.benchmarks.launcher;

import dev.airouter.benchmarks.Stats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The launcher as a user meets it: {@code --help} start-up, {@code dev} from the command to the page
 * served (warm npm cache, node_modules present), SIGINT to exit, and the jar's size.
 *
 * <p>Usage: {@code LauncherBenchmark REPO_ROOT [ITERATIONS]} (default 5). Prints a Markdown table.
 */
public final class LauncherBenchmark {
    private static final Pattern PAGE = Pattern.compile("\\[launcher\\]\\s+page:\\s+(\\S+)");

    private LauncherBenchmark() {}

    /**
     * @param args repository root and optional iteration count
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.println(run(repo, n));
    }

    static String run(Path repo, int n) throws Exception {
        Path jar = repo.resolve("launcher/target/launcher.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("build the launcher first: " + jar + " is missing");
        }
        List<Double> help = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(java(), "-jar", jar.toString(), "--help")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("--help failed");
            }
            help.add((System.nanoTime() - t0) / 1e6);
        }
        List<Double> toPage = new ArrayList<>();
        List<Double> toExit = new ArrayList<>();
        boolean frontend = Files.isDirectory(repo.resolve("frontend/node_modules"));
        for (int i = 0; i < n && frontend; i++) {
            Path logs = Files.createTempDirectory("airouter-bench-launcher-");
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder("/usr/bin/env", "--default-signal=INT", java(), "-jar", jar.toString(), "dev",
                    "--backend-port", "0", "--frontend-port", "0", "--router-port", "0", "--redis-url", "none",
                    "--log-dir", logs.toString()).directory(repo.toFile()).redirectErrorStream(true).start();
            AtomicReference<String> page = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        Matcher m = PAGE.matcher(l);
                        if (m.find()) {
                            page.set(m.group(1));
                        }
                    }
                } catch (IOException ignored) {
                    // exited
                }
            });
            reader.setDaemon(true);
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while ((page.get() == null || !served(page.get())) && System.nanoTime() < deadline && p.isAlive()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            if (page.get() == null) {
                p.destroyForcibly();
                throw new IllegalStateException("dev never served its page");
            }
            toPage.add((System.nanoTime() - t0) / 1e6);
            long s0 = System.nanoTime();
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("dev did not exit after SIGINT");
            }
            toExit.add((System.nanoTime() - s0) / 1e6);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| figure | median / p90 / max | target |\n|---|---|---|\n");
        sb.append(row("`--help` start-up (JVM start included)", Stats.of(help), "-"));
        if (frontend) {
            sb.append(row("`dev`: command to page served (warm: node_modules present)", Stats.of(toPage), "<= 10 s"));
            sb.append(row("`dev`: SIGINT to exit, everything stopped", Stats.of(toExit), "< 5 s (aim < 2 s)"));
        } else {
            sb.append("| `dev` figures | skipped: frontend/node_modules missing (run `npm ci` in frontend/) | - |\n");
        }
        sb.append(String.format(Locale.ROOT, "| launcher.jar size | %.1f MiB | - |%n", Files.size(jar) / 1048576.0));
        return sb.toString();
    }

    private static String row(String name, Stats s, String target) {
        return String.format(Locale.ROOT, "| %s | %.0f / %.0f / %.0f ms (n=%d) | %s |%n", name, s.median(), s.p90(),
                s.max(), s.count(), target);
    }

    private static boolean served(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(5000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
